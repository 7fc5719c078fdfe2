package com.anmeismart.server.notify;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.ErrorShape;
import com.anmeismart.server.testing.Fuzz;
import com.anmeismart.server.testing.LogCapture;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.RawHttp;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bridge frames of every shape (issue #10 point 5): {@code headers} that is not an object (before: a
 * ClassCastException and a stack trace per frame, no reply), {@code address}, {@code type}, {@code body} of any
 * type, text that is not JSON, huge frames; then a seeded fuzz over all fields at once. Each refused frame gets the
 * bridge's {@code err} frame, the log gets at most a rate-limited line without a stack trace, and the bridge still
 * serves a real consultant afterwards. Also the SockJS XHR fallback, whose sends failed for want of a body handler.
 */
class BridgeFuzzIT {

  private static final Logger LOG = LoggerFactory.getLogger(BridgeFuzzIT.class);
  private static final int FUZZ_FRAMES = 600;

  static TestApp server;
  static int port;
  static Staff consultant;

  @BeforeAll
  static void start() {
    // a short idle timeout makes SockJS heartbeat every 2 s, so XHR polls below come back quickly
    server = TestApp.start(new JsonObject().put("HTTP_IDLE_TIMEOUT_SECONDS", "4"));
    port = server.port("HTTP_PORT");
    consultant = Staff.consultant(server, server.adminToken());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String bearer() {
    return "Bearer " + consultant.token();
  }

  /**
   * What refused frames cost in the log: no stack trace anywhere; the SockJS library's per-frame lines (it logs an
   * unknown frame type at ERROR) limited by the ClientNoiseFilter to a handful a minute; ours at most one a minute.
   */
  static void assertQuietLog(LogCapture log, String what) {
    List<ILoggingEvent> traces = log.events(e -> e.getThrowableProxy() != null);
    assertThat(traces).as("%s: stack traces in the log:\n%s", what, LogCapture.describe(traces)).isEmpty();
    List<ILoggingEvent> library = log.events(e -> e.getLoggerName().startsWith("io.vertx.ext.web.handler.sockjs")
        || e.getLoggerName().endsWith("ClientNoiseFilter"));
    assertThat(library.size()).as("%s: the SockJS library's lines are limited:\n%s", what,
        LogCapture.describe(library)).isLessThanOrEqualTo(7);
    List<ILoggingEvent> errors = log.events(e -> e.getLevel() == Level.ERROR && !library.contains(e));
    assertThat(errors).as("%s: errors in the log:\n%s", what, LogCapture.describe(errors)).isEmpty();
    List<ILoggingEvent> refusals = log.events(e -> e.getLoggerName().endsWith("api.Bridge"));
    assertThat(refusals.size()).as("%s: refusals are logged at most once a minute:\n%s", what,
        LogCapture.describe(refusals)).isLessThanOrEqualTo(1);
  }

  @Test
  void headersThatAreNotAnObjectGetAnErrorFrameAndOneLogLine() {
    String address = Addresses.clientConsultant(UUID.fromString(consultant.id()));
    try (LogCapture log = LogCapture.capture(); BridgeClient c = BridgeClient.connect(port)) {
      List<Object> shapes = List.of("Bearer x", 42, new JsonArray().add(bearer()), true, 1.5,
          new JsonArray().add(new JsonObject().put("Authorization", bearer())));
      int n = 0;
      for (Object headers : shapes) {
        for (String type : List.of("register", "send", "publish")) {
          c.send(new JsonObject().put("type", type).put("address", address).put("headers", headers).put("body", "x"));
          n++;
          assertThat(c.awaitError(n)).as("%s with headers %s", type, headers).isEqualTo("rejected");
        }
      }
      // and an Authorization value that is not a string, in a proper headers object
      for (Object auth : List.of(7, new JsonObject(), new JsonArray().add(bearer()), "x".repeat(20_000))) {
        c.send(new JsonObject().put("type", "register").put("address", address)
            .put("headers", new JsonObject().put("Authorization", auth)));
        n++;
        assertThat(c.awaitError(n)).isEqualTo("rejected");
      }
      assertThat(c.isClosed()).as("the socket stays open: the page may log in again").isFalse();
      assertQuietLog(log, "bad headers");
    }
    assertServesAConsultant();
  }

  @Test
  void everyOtherFieldOfAnyTypeIsRefusedWithAnErrorFrame() {
    try (LogCapture log = LogCapture.capture(); BridgeClient c = BridgeClient.connect(port)) {
      List<String> frames = new ArrayList<>();
      for (Object address : List.of(5, new JsonObject().put("a", 1), new JsonArray().add("client.consultants"), false,
          "client.consultant." + UUID.randomUUID(), "x".repeat(30_000))) {
        for (String type : List.of("register", "send", "publish", "unregister")) {
          frames.add(new JsonObject().put("type", type).put("address", address)
              .put("headers", new JsonObject().put("Authorization", "Bearer not-a-token")).encode());
        }
      }
      for (Object body : List.of(1, "s", new JsonArray(), new JsonObject().put("type", "claim"), Map.of("x", 1))) {
        frames.add(new JsonObject().put("type", "send").put("address", Addresses.CLIENT_CONSULTANTS).put("body", body)
            .put("headers", new JsonObject().put("Authorization", bearer())).encode());
      }
      for (Object type : List.of(7, new JsonObject(), "REGISTER", "", "rec", "err")) {
        frames.add(new JsonObject().put("type", type).put("address", "a").encode());
      }
      frames.add("{\"address\":\"a\"}");                  // no type
      frames.add("{\"type\":\"register\"}");              // no address
      frames.add("not json");
      frames.add("[1,2,3]");
      frames.add("\"a string\"");
      frames.add("{\"type\":\"register\",\"address\":\"a\\u0000\"}");
      frames.add("{\"type\":\"send\",\"address\":\"client.consultants\",\"body\":" + Fuzz.nested(3_000, true) + "}");
      for (String frame : frames) {
        c.sendText(frame);
      }
      // every frame is refused; each refusal is one err frame (an unregister the caller may do is not refused, but
      // unregistering an address outside the permitted patterns is)
      long expected = frames.size() - frames.stream().filter(f -> f.contains("\"unregister\"")
          && f.contains("\"client.consultant.")).count();
      Poll.until(Duration.ofSeconds(15), expected + " error frames", () ->
          c.count(f -> "err".equals(f.getString("type"))) >= expected);
      assertThat(c.count(f -> "rec".equals(f.getString("type")))).as("nothing delivered").isZero();
      assertThat(c.isClosed()).isFalse();
      assertQuietLog(log, "bad fields");
    }
    assertServesAConsultant();
  }

  @Test
  void aFrameOverTheSizeLimitClosesThatSocketOnly() {
    try (LogCapture log = LogCapture.capture(); BridgeClient big = BridgeClient.connect(port)) {
      // 300 KB, over the 64 KiB WebSocket message limit: Vert.x drops it unread and reports an error to the bridge,
      // which forgets the socket; the socket is closed so the page reconnects clean (a frame on a forgotten socket
      // would fail inside the bridge)
      big.sendText(new JsonObject().put("type", "send").put("address", Addresses.CLIENT_CONSULTANTS)
          .put("body", "x".repeat(300_000)).encode());
      Poll.until(Duration.ofSeconds(10), "socket closed", big::isClosed);
      assertThat(big.count(f -> "rec".equals(f.getString("type")))).isZero();
      assertQuietLog(log, "huge frame");
    }
    assertServesAConsultant();
  }

  @Test
  void seededFuzzOfWholeFrames() {
    long seed = Fuzz.seed(20_261_204L);
    LOG.info("BridgeFuzzIT: seed {} ({} frames; -Dfuzz.seed={} replays)", seed, FUZZ_FRAMES, seed);
    Fuzz f = new Fuzz(seed);
    List<String> types = List.of("register", "unregister", "send", "publish", "ping", "rec", "x");
    List<String> addresses = List.of(Addresses.CLIENT_CONSULTANTS, Addresses.CLIENT_ADMINS,
        "client.consultant." + consultant.id(), "client.conversation." + UUID.randomUUID(), "automation.wake",
        "settings.changed");
    try (LogCapture log = LogCapture.capture()) {
      BridgeClient c = BridgeClient.connect(port);
      try {
        for (int i = 0; i < FUZZ_FRAMES; i++) {
          Map<String, Object> frame = new java.util.LinkedHashMap<>();
          if (f.chance(90)) {
            frame.put("type", f.chance(80) ? f.pick(types) : f.value(2));
          }
          if (f.chance(90)) {
            frame.put("address", f.chance(70) ? f.pick(addresses) : f.value(2));
          }
          if (f.chance(70)) {
            Map<String, Object> auth = new java.util.HashMap<>();
            auth.put("Authorization", f.chance(50) ? "Bearer " + f.string() : f.value(1));
            Object headers = f.chance(60) ? auth : f.value(2);
            frame.put("headers", headers);
          }
          if (f.chance(50)) {
            frame.put("body", f.value(3));
          }
          if (f.chance(10)) {
            frame.put(f.string(), f.value(1));
          }
          String text = f.chance(5) ? new String(f.bytes(200), StandardCharsets.ISO_8859_1) : f.json(frame);
          c.sendText(text);
          if (c.isClosed()) { // a frame past the size limit (a huge string): that socket is done, open another
            c = BridgeClient.connect(port);
          }
        }
        c.send(new JsonObject().put("type", "ping"));
      } finally {
        c.close();
      }
      assertQuietLog(log, "seeded fuzz");
    }
    assertServesAConsultant();
    assertThat(server.management().get("/ready", null).status()).isEqualTo(200);
  }

  @Test
  void theXhrFallbackCarriesFramesAndRefusesBrokenSendsWithA400() {
    // One connection per request: SockJS's xhr-polling transport closes the connection after each poll without a
    // "Connection: close" header, so a pooling client could send its next request on a connection being closed.
    String session = "/eventbus/000/" + UUID.randomUUID().toString().replace("-", "") + "/";
    assertThat(xhr(session + "xhr", "").body()).startsWith("o");
    String address = Addresses.clientConsultant(UUID.fromString(consultant.id()));
    String register = new JsonObject().put("type", "register").put("address", address)
        .put("headers", new JsonObject().put("Authorization", bearer())).encode();
    // before: 500 and "No BodyHandler was executed on the route" in the log, for every send
    RawHttp.Res sent = xhr(session + "xhr_send", new JsonArray().add(register).encode());
    assertThat(sent.status()).as(sent.body()).isEqualTo(204);
    String probe = UUID.randomUUID().toString();
    String received = Poll.until(Duration.ofSeconds(20), "probe over xhr polling", () -> {
      server.app.vertx().eventBus().publish(address, new JsonObject().put("type", "probe").put("probe", probe));
      String poll = xhr(session + "xhr", "").body();
      return poll.contains(probe) ? poll : null;
    });
    assertThat(received).startsWith("a[");

    for (String bad : List.of("", "not json", "{\"type\":\"ping\"}", "[1,2]", "[\"ok\", {}]")) {
      RawHttp.Res res = xhr(session + "xhr_send", bad);
      assertThat(res.status()).as("xhr_send %s", bad).isEqualTo(400);
      ErrorShape.check(res.status(), res.body(), "xhr_send " + bad);
    }
  }

  /** A SockJS XHR request as sockjs-client sends it (text/plain), on a connection of its own. */
  static RawHttp.Res xhr(String path, String body) {
    return RawHttp.exchange(port, RawHttp.request("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Connection: close\r\nContent-Type: text/plain;charset=UTF-8"
        + (body.isEmpty() ? "\r\nContent-Length: 0" : ""), body.getBytes(StandardCharsets.UTF_8)));
  }

  /** A real consultant's page still registers and receives on its own address. */
  static void assertServesAConsultant() {
    String address = Addresses.clientConsultant(UUID.fromString(consultant.id()));
    try (BridgeClient page = BridgeClient.connect(port)) {
      page.register(address, consultant.token());
      page.awaitListening(server.app.vertx().eventBus(), address);
    }
  }
}
