package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.gatling.javaapi.http.HttpDsl.ws;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatling.http.action.ws.WsInboundMessage;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a customer's page does (webroot/customer/app.js): register, log in, wait for the first conversation, open
 * the bridge on it, read the history, then take the welcome live. Session attributes (epoch ms on this JVM's
 * clock): {@code t_reg} when the registration's 201 arrived, {@code first_text_at} when the page first had welcome
 * text (a streamed chunk or the stored message), {@code welcome_at} when it had the whole stored welcome.
 */
public final class Customer {

  /** Registration times (201 arrival) by user id, for the consultants' sockets that see the new customer. */
  static final Map<String, Long> REGISTERED_AT = new ConcurrentHashMap<>();
  /** Customers registered in this simulation (their user names). */
  private static final AtomicLong NEXT = new AtomicLong();

  static final String AUTH = "Authorization";
  static final String BEARER = "Bearer #{token}";
  /** How often a page without its answer looks again (the real page polls the conversation every 250 ms). */
  static final Duration POLL = Duration.ofMillis(50);
  /** A page gives up on its welcome this long after the registration (the bound checks judge the time). */
  static final long GIVE_UP_MS = 15_000;

  private Customer() {
  }

  /**
   * POST /auth/register (201), then {@code t_reg}: when the 201 arrived, i.e. when the request left plus Gatling's
   * response time for it (the next action may run later than that on a busy load generator, which would make the
   * intervals that start here look shorter than they are). A failed registration ends this user.
   */
  public static ChainBuilder register() {
    return exec(s -> s.set("username", Target.name("c", NEXT.incrementAndGet()))
        .set("t_sent", System.currentTimeMillis()))
        .exec(http("register").post("/api/v1/auth/register").body(StringBody(Customer::registration))
            .check(status().is(201), jsonPath("$.id").saveAs("user_id"), responseTimeInMillis().saveAs("t_rt")))
        .exitHereIfFailed()
        .exec(s -> {
          long at = s.getLong("t_sent") + s.getInt("t_rt");
          REGISTERED_AT.put(s.getString("user_id"), at);
          return s.set("t_reg", at);
        });
  }

  /**
   * A registration that warms a fresh server up (class loading, JIT, the local agent's first MCP sessions) before
   * the measured load: its own request name, not timed, not expected by the consultants' sockets.
   */
  public static ChainBuilder warmUpRegistration() {
    return exec(s -> s.set("username", Target.name("w", NEXT.incrementAndGet())))
        .exec(http("warm-up: register").post("/api/v1/auth/register").body(StringBody(Customer::registration))
            .check(status().is(201)));
  }

  static void reset() {
    REGISTERED_AT.clear();
    NEXT.set(0);
  }

  private static String registration(Session s) {
    String username = s.getString("username");
    return "{\"username\":\"" + username + "\",\"email\":\"" + username + "@load.example\",\"password\":\""
        + Target.PASSWORD + "\",\"full_name\":\"客户" + s.userId() + "\",\"gender\":\"female\","
        + "\"interests\":[\"补水\",\"光子嫩肤\"],\"source\":\"load\"}";
  }

  /** POST /auth/login as this customer ({@code token}). */
  public static ChainBuilder login() {
    return exec(http("login").post("/api/v1/auth/login")
        .body(StringBody("{\"username_or_email\":\"#{username}\",\"password\":\"" + Target.PASSWORD + "\"}"))
        .check(status().is(200), jsonPath("$.access_token").saveAs("token")))
        .exitHereIfFailed();
  }

  /** Polls GET /conversations until the automation's conversation exists ({@code conversation_id}). */
  public static ChainBuilder conversation() {
    return asLongAs(s -> !s.contains("conversation_id") && !s.isFailed() && age(s) < GIVE_UP_MS).on(
        exec(http("conversations").get("/api/v1/conversations?limit=1").header(AUTH, BEARER)
            .check(status().is(200), jsonPath("$.items[0].id").optional().saveAs("conversation_id")))
            .doIf(s -> !s.contains("conversation_id")).then(pause(POLL)));
  }

  /** GET the conversation's messages; a stored welcome among them sets {@code welcome_at} (and first text). */
  public static ChainBuilder history() {
    return exec(http("messages").get("/api/v1/conversations/#{conversation_id}/messages?after=0&limit=100")
        .header(AUTH, BEARER)
        .check(status().is(200), jsonPath("$.items[?(@.kind == 'welcome')].id").optional().saveAs("welcome_id")))
        .exec(s -> s.contains("welcome_id") ? seen(s, System.currentTimeMillis(), true) : s);
  }

  /** Reads the history until the welcome is there (a page that only polls; the burst's way, see RegistrationBurst). */
  public static ChainBuilder pollWelcome() {
    return conversation().doIf(s -> s.contains("conversation_id")).then(
        asLongAs(s -> !s.contains("welcome_at") && age(s) < GIVE_UP_MS).on(
            history().doIf(s -> !s.contains("welcome_at")).then(pause(POLL))));
  }

  /**
   * The page's way: once the conversation exists, open the bridge and register its address (JWT in the frame's
   * headers), read the history, then take the welcome from the bridge: the first {@code welcome_chunk} is the first
   * visible text, the stored {@code message} of kind welcome the whole welcome. Re-reads the history every second
   * while waiting (a frame can't reach a socket whose registration the bridge is still checking).
   */
  public static ChainBuilder pageWelcome() {
    return conversation().doIf(s -> s.contains("conversation_id")).then(
        exec(ws("bridge: open").connect(s -> Bridge.url()))
            .exec(ws("bridge: register conversation").sendText(s ->
                Bridge.register("client.conversation." + s.getString("conversation_id"), s.getString("token"))))
            .exec(s -> s.set("pinged_at", System.currentTimeMillis()).set("reread_at", System.currentTimeMillis()))
            .exec(history())
            .asLongAs(s -> !s.contains("welcome_at") && age(s) < GIVE_UP_MS).on(
                pause(POLL)
                    .exec(ws.processUnmatchedMessages(Customer::scanWelcome))
                    .doIf(s -> !s.contains("welcome_at") && since(s, "reread_at") >= 1_000).then(
                        exec(s -> s.set("reread_at", System.currentTimeMillis())).exec(history()))
                    .exec(ping()))
            .exec(ws("bridge: close").close()));
  }

  /** A ping frame when the last is older than the bridge's interval (the socket stays open). */
  static ChainBuilder ping() {
    return doIf(s -> since(s, "pinged_at") >= Bridge.PING_EVERY_MS).then(
        exec(ws("bridge: ping").sendText(Bridge.ping()))
            .exec(s -> s.set("pinged_at", System.currentTimeMillis())));
  }

  private static Session scanWelcome(List<WsInboundMessage> messages, Session s) {
    for (Bridge.Frame f : Bridge.frames(messages)) {
      String type = f.bodyType();
      if ("welcome_chunk".equals(type) || "welcome_replace".equals(type)) {
        s = seen(s, f.at(), false);
      } else if ("message".equals(type) && "welcome".equals(f.body().path("message").path("kind").asText())) {
        s = seen(s, f.at(), true);
      }
    }
    return s;
  }

  private static Session seen(Session s, long at, boolean whole) {
    if (!s.contains("first_text_at") || s.getLong("first_text_at") > at) {
      s = s.set("first_text_at", at);
    }
    return whole && !s.contains("welcome_at") ? s.set("welcome_at", at) : s;
  }

  /** Sends one chat message in the conversation (201). */
  public static ChainBuilder chat(String content) {
    return exec(http("customer: send message").post("/api/v1/conversations/#{conversation_id}/messages")
        .header(AUTH, BEARER).body(StringBody("{\"content\":\"" + content + "\"}"))
        .check(status().is(201)));
  }

  static long age(Session s) {
    return since(s, "t_reg");
  }

  static long since(Session s, String key) {
    return s.contains(key) ? System.currentTimeMillis() - s.getLong(key) : Long.MAX_VALUE;
  }

  static JsonNode parse(String json) {
    try {
      return Setup.JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + json, e);
    }
  }
}
