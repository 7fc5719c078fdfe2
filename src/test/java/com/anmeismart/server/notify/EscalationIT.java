package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PRD §9.2 escalation with short test settings (escalation after 0.03 minutes = 1.8 s, checked every 200 ms): an
 * unclaimed new customer is announced again to consultants, live and in the inbox, and admins are told; a claimed
 * one is not; each conversation is escalated once; one left leased by a pass that failed is escalated after its
 * lease, one leased by a pass whose process died at once.
 */
class EscalationIT {

  static final double MINUTES = 0.03;
  static TestApp server;
  static String admin;

  @BeforeAll
  static void start() {
    server = TestApp.start(new JsonObject().put("ESCALATION_CHECK_MS", "200"));
    admin = server.adminToken();
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings",
        new JsonObject().put("escalation_minutes", MINUTES), admin).status()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String conversationOf(String customerId) {
    return Poll.until(Duration.ofSeconds(10), "notice", () -> (String) server.db().one(
        "SELECT conversation_id::text AS c FROM customer_notices WHERE customer_id = ?::uuid", customerId).get("c"));
  }

  @Test
  void anUnclaimedCustomerIsAnnouncedAgainAndAdminsAreToldOnce() {
    Staff a = Staff.consultant(server, admin);
    Staff offline = Staff.consultant(server, admin);
    try (BridgeClient page = BridgeClient.connect(server.port("HTTP_PORT"))) {
      page.register(Addresses.clientConsultant(a.id()), a.token());
      page.awaitBody(Addresses.clientConsultant(a.id()), "presence");
      String claimedId = server.register("claimed_" + UUID.randomUUID().toString().substring(0, 8), null)
          .getString("id");
      String claimedConversation = conversationOf(claimedId);
      assertThat(server.http.post("/api/v1/conversations/" + claimedConversation + "/claim", new JsonObject(),
          a.token()).status()).isEqualTo(200);
      String waitingId = server.register("waiting_" + UUID.randomUUID().toString().substring(0, 8), null)
          .getString("id");
      String waiting = conversationOf(waitingId);

      JsonObject again = page.await(Duration.ofSeconds(15), "escalation", f -> "rec".equals(f.getString("type"))
          && f.getJsonObject("body").getBoolean("escalated", false)).getJsonObject("body");
      assertThat(again.getString("type")).isEqualTo("new_customer");
      assertThat(again.getString("title")).isEqualTo("新客户等待认领超时");
      assertThat(again.getString("conversation_id")).isEqualTo(waiting);
      assertThat(again.getString("action")).isEqualTo("claim_customer");

      // marked escalated after the consultants' rows and the admin alert are written, so after the live copy
      Map<String, Object> notice = Poll.until(Duration.ofSeconds(10), "marked escalated", () -> server.db().one(
          "SELECT notified_at, escalated_at FROM customer_notices WHERE conversation_id = ?::uuid "
              + "AND escalated_at IS NOT NULL", waiting));
      long waitedMs = ((Timestamp) notice.get("escalated_at")).getTime() - ((Timestamp) notice.get("notified_at")).getTime();
      assertThat(waitedMs).as("escalated after the escalation minutes, within a few checks")
          .isBetween((long) (MINUTES * 60_000), (long) (MINUTES * 60_000) + 3_000);
      // the claimed one (due earlier, same pass) was not escalated
      assertThat(server.db().one("SELECT escalated_at FROM customer_notices WHERE conversation_id = ?::uuid",
          claimedConversation).get("escalated_at")).isNull();

      // the offline consultant has it in the inbox; the admins were told
      assertThat(server.db().count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND kind = 'escalation' "
          + "AND conversation_id = ?::uuid AND channel = 'inbox'", offline.id(), waiting)).isEqualTo(1);
      Poll.until(Duration.ofSeconds(10), "admin told", () -> server.db().count("SELECT count(*) FROM notifications n "
          + "JOIN users u ON u.id = n.user_id WHERE u.username = ? AND n.kind = 'admin_alert' "
          + "AND n.body->>'kind' = 'customer_unclaimed' AND n.conversation_id = ?::uuid", TestApp.ADMIN, waiting) == 1);

      // once only: later checks find nothing more to do for it, and a claim still works afterwards
      String marker = server.register("marker_" + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
      String markerConversation = conversationOf(marker);
      Poll.until(Duration.ofSeconds(15), "the next customer escalated", () -> server.db().one(
          "SELECT 1 FROM customer_notices WHERE conversation_id = ?::uuid AND escalated_at IS NOT NULL",
          markerConversation));
      assertThat(page.count(f -> "rec".equals(f.getString("type")) && f.getJsonObject("body").getBoolean("escalated",
          false) && waiting.equals(f.getJsonObject("body").getString("conversation_id")))).isEqualTo(1);
      assertThat(server.http.post("/api/v1/conversations/" + waiting + "/claim", new JsonObject(), a.token()).status())
          .isEqualTo(200);
    }
  }

  /**
   * A pass that leased an overdue customer and then failed or got stuck, its process alive (simulated: the lease
   * written as this node's own pass would, the notice already overdue): nothing happens while the lease runs, then a
   * pass escalates the customer, marks it done and clears the lease.
   */
  @Test
  void aCustomerLeasedByALivePassIsEscalatedOnceTheLeaseRunsOut() {
    Staff offline = Staff.consultant(server, admin);
    String customer = server.register("orphan_" + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
    String conversation = conversationOf(customer);
    Timestamp leaseEnd = (Timestamp) server.db().one("UPDATE customer_notices SET notified_at = now() - interval "
        + "'1 minute', escalation_leased_until = now() + interval '2 seconds', escalation_lease_instance = ? "
        + "WHERE conversation_id = ?::uuid AND escalated_at IS NULL RETURNING escalation_leased_until",
        server.instance(), conversation).get("escalation_leased_until");

    Map<String, Object> notice = Poll.until(Duration.ofSeconds(15), "escalated after the lease", () -> server.db().one(
        "SELECT escalated_at, escalation_leased_until FROM customer_notices WHERE conversation_id = ?::uuid "
            + "AND escalated_at IS NOT NULL", conversation));
    assertThat((Timestamp) notice.get("escalated_at")).as("not before the dead pass's lease ran out")
        .isAfterOrEqualTo(leaseEnd);
    assertThat(notice.get("escalation_leased_until")).isNull();
    assertThat(server.db().count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND kind = 'escalation' "
        + "AND conversation_id = ?::uuid", offline.id(), conversation)).isEqualTo(1);
    Poll.until(Duration.ofSeconds(10), "admin told", () -> server.db().count("SELECT count(*) FROM notifications n "
        + "JOIN users u ON u.id = n.user_id WHERE u.username = ? AND n.kind = 'admin_alert' "
        + "AND n.body->>'kind' = 'customer_unclaimed' AND n.conversation_id = ?::uuid", TestApp.ADMIN, conversation) == 1);
  }

  /**
   * A pass whose process died after leasing an overdue customer (simulated: the lease stamped with an instance
   * number no session holds, which is what PostgreSQL sees once a killed process's session has ended): the next pass
   * escalates the customer at once, not when the minute-long lease runs out.
   */
  @Test
  void aCustomerLeasedByAPassWhoseProcessDiedIsEscalatedAtOnce() {
    Staff offline = Staff.consultant(server, admin);
    String customer = server.register("dead_" + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
    String conversation = conversationOf(customer);
    Timestamp leaseEnd = (Timestamp) server.db().one("UPDATE customer_notices SET notified_at = now() - interval "
        + "'1 minute', escalation_leased_until = now() + interval '60 seconds', "
        + "escalation_lease_instance = nextval('server_instance_seq') WHERE conversation_id = ?::uuid "
        + "AND escalated_at IS NULL RETURNING escalation_leased_until", conversation).get("escalation_leased_until");

    Map<String, Object> notice = Poll.until(Duration.ofSeconds(15), "escalated", () -> server.db().one(
        "SELECT escalated_at FROM customer_notices WHERE conversation_id = ?::uuid AND escalated_at IS NOT NULL",
        conversation));
    assertThat(((Timestamp) notice.get("escalated_at")).toInstant()).as("long before the dead pass's lease ends")
        .isBefore(leaseEnd.toInstant().minusSeconds(40));
    assertThat(server.db().count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND kind = 'escalation' "
        + "AND conversation_id = ?::uuid", offline.id(), conversation)).isEqualTo(1);
  }

  @Test
  void fractionalEscalationMinutesAreValidated() {
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings",
        new JsonObject().put("escalation_minutes", 0), admin).status()).isEqualTo(400);
    assertThat(server.http.get("/api/v1/admin/registration-automation/settings", admin).json()
        .getDouble("escalation_minutes")).isEqualTo(MINUTES);
  }
}
