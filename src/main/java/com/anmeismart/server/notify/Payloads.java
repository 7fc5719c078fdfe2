package com.anmeismart.server.notify;

import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.CustomerCard;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/** The JSON consultants' pages receive (SPEC §7), built in one place so live, inbox and push agree. */
final class Payloads {

  private Payloads() {
  }

  /**
   * The SPEC §7 new-customer notification: {@code {type:"new_customer", title, message, customer:{id, username,
   * display_name, interests, source, registered_at}, conversation_id, link, expected_response_minutes, timestamp,
   * action:"claim_customer"}}.
   */
  static ClientEvent.NewCustomerNotice newCustomer(CustomerCard customer, UUID conversationId,
                                                   int expectedResponseMinutes, String baseUrl, Instant now) {
    return new ClientEvent.NewCustomerNotice("新客户注册", "新客户「" + customer.displayName()
        + "」已注册并开始咨询，等待顾问认领（预期 " + expectedResponseMinutes + " 分钟内响应）", customer, conversationId,
        link(baseUrl, conversationId), expectedResponseMinutes, now, false, null);
  }

  /** The same notification again, flagged: nobody claimed the customer within the escalation minutes. */
  static ClientEvent.NewCustomerNotice escalation(CustomerCard customer, UUID conversationId,
                                                  int expectedResponseMinutes, double waitedMinutes, String baseUrl,
                                                  Instant now) {
    return new ClientEvent.NewCustomerNotice("新客户等待认领超时", "新客户「" + customer.displayName() + "」已等待约 "
        + Math.max(1, Math.round(waitedMinutes)) + " 分钟仍未被认领，请尽快认领", customer, conversationId,
        link(baseUrl, conversationId), expectedResponseMinutes, now, true, null);
  }

  /** The offer of a customer to one consultant: {@code {type:"offer", conversation_id, customer, expires_at, …}}. */
  static ClientEvent.Offer offer(CustomerCard customer, UUID conversationId, Instant expiresAt, int offerSeconds,
                                 String baseUrl, Instant now) {
    return new ClientEvent.Offer("新客户分配给您", "新客户「" + customer.displayName() + "」已分配给您，请在 "
        + offerSeconds + " 秒内接受，超时将转给其他顾问", customer, conversationId, link(baseUrl, conversationId),
        expiresAt, offerSeconds, now, null);
  }

  /** The inbox dedupe key of a customer's offer (one offer row per consultant and customer). */
  static String offerKey(UUID conversationId) {
    return "offer:" + conversationId;
  }

  /** What the service worker (Web Push) or a WeCom card shows: small (push services cap payloads near 4 KB). */
  static JsonObject push(JsonObject payload, UUID notificationId) {
    return new JsonObject().put("type", payload.getString("type")).put("title", payload.getString("title"))
        .put("body", payload.getString("message")).put("conversation_id", payload.getString("conversation_id"))
        .put("link", payload.getString("link")).put("notification_id", notificationId.toString());
  }

  /**
   * What a WeCom card is built from ({@link WeComChannel#card}): the title, the customer (name, interests, source,
   * registered_at, for the waited time at send time), the link, and the staff member's WeCom user id.
   */
  static JsonObject wecom(JsonObject payload, String wecomUserid) {
    JsonObject customer = payload.getJsonObject("customer", new JsonObject());
    String kind = payload.getString("type", "new_customer");
    boolean escalation = payload.getBoolean("escalated", false);
    return new JsonObject().put("touser", wecomUserid).put("title", payload.getString("title"))
        .put("kind_label", "offer".equals(kind) ? "分配给您的新客户" : escalation ? "等待认领超时" : "新客户注册")
        .put("customer", new JsonObject().put("display_name", customer.getString("display_name",
                customer.getString("username")))
            .put("interests", customer.getJsonArray("interests")).put("source", customer.getString("source"))
            .put("registered_at", customer.getString("registered_at")))
        .put("conversation_id", payload.getString("conversation_id")).put("link", payload.getString("link"));
  }

  /** Where the consultant page opens the conversation: absolute with PUBLIC_BASE_URL, else relative. */
  static String link(String baseUrl, UUID conversationId) {
    String base = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
    return base + "/consultant/#conversation=" + conversationId;
  }
}
