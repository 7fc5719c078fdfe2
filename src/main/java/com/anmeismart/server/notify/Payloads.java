package com.anmeismart.server.notify;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/** The JSON consultants' pages receive (SPEC §7), built in one place so live, inbox and push agree. */
final class Payloads {

  private Payloads() {
  }

  /**
   * The SPEC §7 new-customer notification: {@code {type:"new_customer", title, message, customer:{id, username,
   * registered_at}, conversation_id, link, expected_response_minutes, timestamp, action:"claim_customer"}}.
   */
  static JsonObject newCustomer(UUID customerId, String username, Instant registeredAt, UUID conversationId,
                                int expectedResponseMinutes, String baseUrl, Instant now) {
    return new JsonObject()
        .put("type", "new_customer")
        .put("title", "新客户注册")
        .put("message", "新客户「" + username + "」已注册并开始咨询，等待顾问认领（预期 " + expectedResponseMinutes
            + " 分钟内响应）")
        .put("customer", new JsonObject().put("id", customerId.toString()).put("username", username)
            .put("registered_at", registeredAt.toString()))
        .put("conversation_id", conversationId.toString())
        .put("link", link(baseUrl, conversationId))
        .put("expected_response_minutes", expectedResponseMinutes)
        .put("timestamp", now.toString())
        .put("action", "claim_customer");
  }

  /** The same notification again, flagged: nobody claimed the customer within the escalation minutes. */
  static JsonObject escalation(UUID customerId, String username, Instant registeredAt, UUID conversationId,
                               int expectedResponseMinutes, double waitedMinutes, String baseUrl, Instant now) {
    return newCustomer(customerId, username, registeredAt, conversationId, expectedResponseMinutes, baseUrl, now)
        .put("title", "新客户等待认领超时")
        .put("message", "新客户「" + username + "」已等待约 " + Math.max(1, Math.round(waitedMinutes))
            + " 分钟仍未被认领，请尽快认领")
        .put("escalated", true);
  }

  /** Where the consultant page opens the conversation: absolute with PUBLIC_BASE_URL, else relative. */
  static String link(String baseUrl, UUID conversationId) {
    String base = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
    return base + "/consultant/#conversation=" + conversationId;
  }
}
