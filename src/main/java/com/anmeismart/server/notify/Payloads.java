package com.anmeismart.server.notify;

import com.anmeismart.server.bus.ClientEvent;

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
  static ClientEvent.NewCustomerNotice newCustomer(UUID customerId, String username, Instant registeredAt,
                                                   UUID conversationId, int expectedResponseMinutes, String baseUrl,
                                                   Instant now) {
    return new ClientEvent.NewCustomerNotice("新客户注册", "新客户「" + username + "」已注册并开始咨询，等待顾问认领（预期 "
        + expectedResponseMinutes + " 分钟内响应）", customerId, username, registeredAt, conversationId,
        link(baseUrl, conversationId), expectedResponseMinutes, now, false, null);
  }

  /** The same notification again, flagged: nobody claimed the customer within the escalation minutes. */
  static ClientEvent.NewCustomerNotice escalation(UUID customerId, String username, Instant registeredAt,
                                                  UUID conversationId, int expectedResponseMinutes,
                                                  double waitedMinutes, String baseUrl, Instant now) {
    return new ClientEvent.NewCustomerNotice("新客户等待认领超时", "新客户「" + username + "」已等待约 "
        + Math.max(1, Math.round(waitedMinutes)) + " 分钟仍未被认领，请尽快认领", customerId, username, registeredAt,
        conversationId, link(baseUrl, conversationId), expectedResponseMinutes, now, true, null);
  }

  /** Where the consultant page opens the conversation: absolute with PUBLIC_BASE_URL, else relative. */
  static String link(String baseUrl, UUID conversationId) {
    String base = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
    return base + "/consultant/#conversation=" + conversationId;
  }
}
