package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Browser events: each type's wire shape (the fields pages read today) and its way back from JSON. */
class ClientEventTest {

  static final Instant AT = Instant.parse("2026-12-02T08:30:00.123Z");
  static final ChatMessage WELCOME = new ChatMessage(UUID.randomUUID(), 41, UUID.randomUUID(), null, "ai", "welcome",
      "欢迎！", new JsonObject().put("source", "local-agent"), AT);

  @Test
  void everyEventReadsBackAsItself() {
    UUID conv = UUID.randomUUID();
    List<ClientEvent> events = List.of(new ClientEvent.Message(WELCOME),
        new ClientEvent.Claimed(conv, UUID.randomUUID(), "consultant_li", AT),
        new ClientEvent.NewCustomerNotice("新客户注册", "新客户「王小美」…", UUID.randomUUID(), "王小美", AT, conv,
            "/consultant/#conversation=" + conv, 5, AT, false, UUID.randomUUID()),
        new ClientEvent.AdminAlertNotice("automation_job_dead", "失败", new JsonObject().put("job_id", "j"), AT),
        new ClientEvent.Presence(true), new ClientEvent.WelcomeChunk(conv, 3, "您好"),
        new ClientEvent.WelcomeReplace(conv, "替换后的文字"));
    for (ClientEvent e : events) {
      JsonObject wire = new JsonObject(e.toJson().encode());
      assertThat(wire.getString("type")).isEqualTo(e.type());
      assertThat(ClientEvent.fromJson(wire)).isEqualTo(e);
    }
  }

  @Test
  void aMessageCarriesTheFetchedShapeWithSeqAndSender() {
    JsonObject wire = new ClientEvent.Message(WELCOME).toJson();
    assertThat(wire.getJsonObject("message").fieldNames()).containsExactly("id", "seq", "conversation_id",
        "sender_id", "sender_type", "kind", "content", "metadata", "created_at");
    assertThat(wire.getJsonObject("message").getLong("seq")).isEqualTo(41);
    assertThat(wire.getJsonObject("message").containsKey("sender_id")).isTrue();
  }

  @Test
  void theNewCustomerNoticeKeepsSpecFieldsAndAddsOnlyWhatApplies() {
    UUID conv = UUID.randomUUID();
    var notice = new ClientEvent.NewCustomerNotice("新客户注册", "m", UUID.randomUUID(), "王小美", AT, conv, "/l", 5,
        AT, false, null);
    assertThat(notice.toJson().fieldNames()).containsExactly("type", "title", "message", "customer",
        "conversation_id", "link", "expected_response_minutes", "timestamp", "action");
    assertThat(notice.toJson().getString("action")).isEqualTo("claim_customer");
    UUID id = UUID.randomUUID();
    assertThat(notice.forNotification(id).toJson().getString("notification_id")).isEqualTo(id.toString());
    assertThat(new ClientEvent.NewCustomerNotice("t", "m", UUID.randomUUID(), "u", AT, conv, "/l", 5, AT, true, null)
        .toJson().getBoolean("escalated")).isTrue();
  }

  @Test
  void theAdminAlertHasItsTitleAndTheClaimedItsConsultant() {
    assertThat(new ClientEvent.AdminAlertNotice("k", "m", null, AT).toJson().getString("title"))
        .isEqualTo("管理员告警");
    UUID consultant = UUID.randomUUID();
    assertThat(new ClientEvent.Claimed(UUID.randomUUID(), consultant, "li", AT).toJson().getJsonObject("consultant"))
        .isEqualTo(new JsonObject().put("id", consultant.toString()).put("username", "li"));
  }
}
