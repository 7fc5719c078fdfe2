package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Jwts;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bridge's least privilege at the frame level: raw register/send frames over {@code /eventbus/websocket}, with
 * missing, forged, expired and someone else's tokens. A refused frame gets an {@code err} frame and the socket stays
 * open (the page may log in again); nothing published on a refused address reaches the socket.
 */
class BridgeSecurityIT {

  static TestApp server;
  static String admin;
  static int port;
  static Staff a;
  static Staff b;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    admin = server.adminToken();
    port = server.port("HTTP_PORT");
    a = Staff.consultant(server, admin);
    b = Staff.consultant(server, admin);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Predicate<JsonObject> rec(String address) {
    return f -> "rec".equals(f.getString("type")) && address.equals(f.getString("address"));
  }

  /** Publishes a probe on the server's bus and says whether the client got it (after a marker it must get). */
  static boolean receives(BridgeClient client, String address, String controlAddress) {
    String probe = UUID.randomUUID().toString();
    server.app.vertx().eventBus().publish(address, new JsonObject().put("type", "probe").put("probe", probe));
    server.app.vertx().eventBus().publish(controlAddress, new JsonObject().put("type", "probe").put("probe", probe));
    // the control message travels the same path after the probe: once it is here, the probe would be too
    client.await(Duration.ofSeconds(10), "control probe", rec(controlAddress).and(f -> probe.equals(
        f.getJsonObject("body").getString("probe"))));
    return client.count(rec(address).and(f -> probe.equals(f.getJsonObject("body").getString("probe")))) > 0;
  }

  /** A socket that listens on A's own address with A's token: the control channel for probes. */
  static BridgeClient controlled() {
    BridgeClient c = BridgeClient.connect(port).register(Addresses.clientConsultant(a.id()), a.token());
    c.awaitBody(Addresses.clientConsultant(a.id()), "presence");
    return c;
  }

  @Test
  void aRegisterWithoutTokenIsRefusedAndTheSocketSurvives() {
    try (BridgeClient c = controlled()) {
      c.register(Addresses.CLIENT_CONSULTANTS, null);
      assertThat(c.awaitError(1)).isEqualTo("rejected");
      assertThat(receives(c, Addresses.CLIENT_CONSULTANTS, Addresses.clientConsultant(a.id()))).isFalse();
      // the same socket, now with the token: accepted
      c.register(Addresses.CLIENT_CONSULTANTS, a.token());
      Poll.until(Duration.ofSeconds(5), "broadcast received",
          () -> receives(c, Addresses.CLIENT_CONSULTANTS, Addresses.clientConsultant(a.id())));
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void forgedExpiredAndMalformedTokensAreRefused() {
    String address = Addresses.clientConsultant(b.id());
    String forged = Jwts.sign("not-the-server-secret-0123456789abcdef", Jwts.claims(b.id(), "consultant", b.username(), 600));
    String expired = Jwts.sign(Jwts.SECRET, Jwts.claims(b.id(), "consultant", b.username(), -120));
    String valid = Jwts.sign(Jwts.SECRET, Jwts.claims(b.id(), "consultant", b.username(), 600));
    try (BridgeClient c = controlled()) {
      c.register(address, forged);
      assertThat(c.awaitError(1)).isEqualTo("rejected");
      c.register(address, expired);
      assertThat(c.awaitError(2)).isEqualTo("rejected");
      c.send(new JsonObject().put("type", "register").put("address", address)
          .put("headers", new JsonObject().put("Authorization", "Basic YTpi")));
      assertThat(c.awaitError(3)).isEqualTo("rejected");
      assertThat(receives(c, address, Addresses.clientConsultant(a.id()))).isFalse();
      // control: the hand-made signer is right, so each refusal above is about the one thing changed
      c.register(address, valid);
      c.awaitBody(address, "presence");
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void aConsultantCannotListenOnAnotherConsultantsAddress() {
    try (BridgeClient c = controlled()) {
      c.register(Addresses.clientConsultant(b.id()), a.token());
      assertThat(c.awaitError(1)).isEqualTo("rejected");
      assertThat(receives(c, Addresses.clientConsultant(b.id()), Addresses.clientConsultant(a.id()))).isFalse();
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void aCustomerListensOnlyOnTheirOwnConversation() {
    String name = "bridgecust_" + UUID.randomUUID().toString().substring(0, 8);
    String customerId = server.register(name, null).getString("id");
    String token = server.login(name, "correct-horse");
    String own = Poll.until(Duration.ofSeconds(10), "conversation", () -> (String) server.db()
        .one("SELECT id::text AS id FROM conversations WHERE customer_id = ?::uuid", customerId).get("id"));
    String other = Poll.until(Duration.ofSeconds(10), "another conversation", () -> {
      String n = "othercust_" + UUID.randomUUID().toString().substring(0, 8);
      String id = server.register(n, null).getString("id");
      return Poll.until(Duration.ofSeconds(10), "its conversation", () -> (String) server.db()
          .one("SELECT id::text AS id FROM conversations WHERE customer_id = ?::uuid", id).get("id"));
    });
    try (BridgeClient c = BridgeClient.connect(port)) {
      c.register(Addresses.clientConversation(own), token);
      c.awaitListening(server.app.vertx().eventBus(), Addresses.clientConversation(own));
      c.register(Addresses.clientConsultant(a.id()), token);
      assertThat(c.awaitError(1)).isEqualTo("rejected");
      c.register(Addresses.CLIENT_CONSULTANTS, token);
      assertThat(c.awaitError(2)).isEqualTo("rejected");
      c.register(Addresses.clientConversation(other), token);
      assertThat(c.awaitError(3)).isEqualTo("rejected");
      c.register(Addresses.clientConversation("not-a-uuid"), token);
      assertThat(c.awaitError(4)).isEqualTo("rejected");
      // own conversation: what the customer posts comes back live; the other conversation's message does not
      assertThat(server.http.post("/api/v1/conversations/" + own + "/messages",
          new JsonObject().put("content", "你好"), token).status()).isEqualTo(201);
      JsonObject live = c.awaitBody(Addresses.clientConversation(own), "message");
      assertThat(live.getJsonObject("message").getString("content")).isEqualTo("你好");
      assertThat(receives(c, Addresses.clientConsultant(a.id()), Addresses.clientConversation(own))).isFalse();
      assertThat(receives(c, Addresses.clientConversation(other), Addresses.clientConversation(own))).isFalse();
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void nothingIsPermittedInbound() {
    try (BridgeClient c = controlled()) {
      // a valid token does not open any inbound address: the pages act through the REST API
      c.send(BridgeClient.frame("send", Addresses.NOTIFY_NEW_CUSTOMER, a.token()).put("body", new JsonObject()));
      assertThat(c.awaitError(1)).isEqualTo("access_denied");
      c.send(BridgeClient.frame("publish", Addresses.CLIENT_CONSULTANTS, a.token())
          .put("body", new JsonObject().put("type", "claimed")));
      assertThat(c.awaitError(2)).isEqualTo("access_denied");
      c.send(BridgeClient.frame("send", Addresses.AUTOMATION_WAKE, null).put("body", "x"));
      assertThat(c.awaitError(3)).isEqualTo("rejected");
      // and no address outside the client.* patterns can be listened on, whatever the role
      c.register(Addresses.ADMIN_ALERTS, admin);
      assertThat(c.awaitError(4)).isEqualTo("rejected");
      c.register(Addresses.NOTIFY_NEW_CUSTOMER, a.token());
      assertThat(c.awaitError(5)).isEqualTo("rejected");
      assertThat(c.isClosed()).isFalse();
    }
  }

  @Test
  void aDisabledConsultantsStillValidTokenCannotRegister() {
    Staff gone = Staff.consultant(server, admin);
    assertThat(server.http.put("/api/v1/admin/users/" + gone.id(), new JsonObject().put("is_active", false), admin)
        .status()).isEqualTo(200);
    try (BridgeClient c = BridgeClient.connect(port)) {
      c.register(Addresses.clientConsultant(gone.id()), gone.token());
      assertThat(c.awaitError(1)).isEqualTo("rejected");
      assertThat(server.db().count("SELECT count(*) FROM bridge_presence WHERE user_id = ?::uuid", gone.id())).isZero();
    }
  }
}
