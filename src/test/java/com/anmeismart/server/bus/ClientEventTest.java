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
  static final CustomerCard MEI = new CustomerCard(UUID.randomUUID(), "wang_xiaomei", "王小美", List.of("补水", "光子嫩肤"),
      "wechat", AT, "138****8000");
  static final ChatMessage WELCOME = new ChatMessage(UUID.randomUUID(), 41, UUID.randomUUID(), null, "ai", "welcome",
      "欢迎！", new JsonObject().put("source", "local-agent"), AT);

  @Test
  void everyEventReadsBackAsItself() {
    UUID conv = UUID.randomUUID();
    List<ClientEvent> events = List.of(new ClientEvent.Message(WELCOME),
        new ClientEvent.Claimed(conv, new ClientEvent.Person(UUID.randomUUID(), "consultant_li", "李顾问"), AT),
        new ClientEvent.NewCustomerNotice("新客户注册", "新客户「王小美」…", MEI, conv,
            "/consultant/#conversation=" + conv, 5, AT, false, UUID.randomUUID()),
        new ClientEvent.Offer("新客户分配给您", "…", MEI, conv, "/l", AT.plusSeconds(60), 60, AT, UUID.randomUUID()),
        new ClientEvent.OfferEnded(conv, "expired"),
        new ClientEvent.Closed(conv, new ClientEvent.Person(UUID.randomUUID(), "consultant_li", "李顾问"), AT),
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
    var notice = new ClientEvent.NewCustomerNotice("新客户注册", "m", MEI, conv, "/l", 5, AT, false, null);
    assertThat(notice.toJson().fieldNames()).containsExactly("type", "title", "message", "customer",
        "conversation_id", "link", "expected_response_minutes", "timestamp", "action");
    // SPEC §7: the customer by display name, with interests and source (the phone only masked)
    assertThat(notice.toJson().getJsonObject("customer").fieldNames()).containsExactly("id", "username",
        "display_name", "interests", "source", "registered_at", "phone_masked");
    assertThat(notice.toJson().getJsonObject("customer").getString("display_name")).isEqualTo("王小美");
    assertThat(notice.toJson().getString("action")).isEqualTo("claim_customer");
    UUID id = UUID.randomUUID();
    assertThat(notice.forNotification(id).toJson().getString("notification_id")).isEqualTo(id.toString());
    assertThat(new ClientEvent.NewCustomerNotice("t", "m", MEI, conv, "/l", 5, AT, true, null)
        .toJson().getBoolean("escalated")).isTrue();
  }

  @Test
  void theAdminAlertHasItsTitleAndTheClaimedItsConsultantByDisplayName() {
    assertThat(new ClientEvent.AdminAlertNotice("k", "m", null, AT).toJson().getString("title"))
        .isEqualTo("管理员告警");
    UUID consultant = UUID.randomUUID();
    assertThat(new ClientEvent.Claimed(UUID.randomUUID(), new ClientEvent.Person(consultant, "li", "李顾问"), AT)
        .toJson().getJsonObject("consultant"))
        .isEqualTo(new JsonObject().put("id", consultant.toString()).put("username", "li").put("display_name", "李顾问"));
  }

  @Test
  void anOfferCarriesTheSpecFieldsAndItsExpiry() {
    UUID conv = UUID.randomUUID();
    JsonObject offer = new ClientEvent.Offer("t", "m", MEI, conv, "/l", AT.plusSeconds(60), 60, AT, null).toJson();
    assertThat(offer.fieldNames()).contains("type", "conversation_id", "customer", "expires_at");
    assertThat(offer.getString("type")).isEqualTo("offer");
    assertThat(offer.getString("expires_at")).isEqualTo(AT.plusSeconds(60).toString());
    assertThat(offer.containsKey("notification_id")).isFalse();
  }

  @Test
  void phonesAreMaskedToTheirEnds() {
    assertThat(CustomerCard.mask("13800138000")).isEqualTo("138****8000");
    assertThat(CustomerCard.mask("+86 138-0013-8000")).isEqualTo("+86****8000");
    assertThat(CustomerCard.mask(null)).isNull();
  }
}
