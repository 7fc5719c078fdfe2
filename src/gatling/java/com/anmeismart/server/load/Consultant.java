package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.gatling.javaapi.http.HttpDsl.ws;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatling.http.action.ws.WsInboundMessage;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * What a consultant's page does (webroot/consultant/app.js): log in, open the bridge and register its own address
 * ({@code client.consultant.<id>}, JWT in the frame's headers), wait for the presence notice (from then on the
 * server counts it online and sends it new customers live), and keep the socket alive with pings. Every
 * {@code new_customer} frame is timed against the customer's registration (its 201 on this JVM's clock, see
 * {@link Customer#REGISTERED_AT}): the interval {@link #ALERT}.
 */
public final class Consultant {

  /** The interval from a registration's 201 to the new-customer frame on one consultant socket. */
  public static final String ALERT = "registration → new-customer alert (per socket)";

  /** The accounts {@code before()} created; each consultant user takes the next. */
  static final List<Setup.Staff> STAFF = new CopyOnWriteArrayList<>();
  private static final AtomicInteger NEXT = new AtomicInteger();
  /** Sockets that got their presence notice. */
  static final AtomicInteger ONLINE = new AtomicInteger();

  private Consultant() {
  }

  static void reset() {
    STAFF.clear();
    NEXT.set(0);
    ONLINE.set(0);
  }

  /** Logs in as the next staff account, opens the bridge and waits (≤ 10 s) until it is counted online. */
  public static ChainBuilder online() {
    return exec(s -> {
      Setup.Staff staff = STAFF.get(NEXT.getAndIncrement() % STAFF.size());
      return s.set("consultant_id", staff.id()).set("username", staff.username())
          .set("received", new HashMap<String, Long>());
    })
        .exec(http("consultant: login").post("/api/v1/auth/login")
            .body(StringBody("{\"username_or_email\":\"#{username}\",\"password\":\"" + Target.PASSWORD + "\"}"))
            .check(status().is(200), jsonPath("$.access_token").saveAs("token")))
        .exitHereIfFailed()
        .exec(ws("consultant bridge: open").connect(s -> Bridge.url()))
        .exec(ws("consultant bridge: register").sendText(s ->
            Bridge.register("client.consultant." + s.getString("consultant_id"), s.getString("token"))))
        .exec(s -> s.set("pinged_at", System.currentTimeMillis()).set("t_socket", System.currentTimeMillis()))
        .asLongAs(s -> !s.contains("online") && Customer.since(s, "t_socket") < 10_000).on(
            pause(Customer.POLL).exec(ws.processUnmatchedMessages(Consultant::scan)))
        .exec(s -> {
          if (s.contains("online")) {
            ONLINE.incrementAndGet();
            return s;
          }
          return s.markAsFailed();
        })
        .exitHereIfFailed();
  }

  /**
   * Keeps the socket while {@code keepGoing}, doing {@code round} (a consultant's work, or nothing) between looks at
   * the socket, then checks that every customer registered while it was online (up to {@code boundMs} before the
   * end) reached it within the bound (the group {@code Latencies.group(ALERT, boundMs)}), and closes the socket.
   */
  public static ChainBuilder listen(BooleanSupplier keepGoing, long boundMs, List<ChainBuilder> round) {
    ChainBuilder work = round.isEmpty() ? exec(s -> s) : exec(round);
    return asLongAs(s -> keepGoing.getAsBoolean()).on(
            work
                .pause(Duration.ofMillis(200))
                .exec(ws.processUnmatchedMessages(Consultant::scan))
                .exec(Customer.ping()))
        .exec(ws.processUnmatchedMessages(Consultant::scan))
        .exec(group(Latencies.group(ALERT, boundMs)).on(exec(s -> judge(s, boundMs))))
        .exec(ws("consultant bridge: close").close());
  }

  /** How long pages keep listening after the last registration: its alert's bound, plus a second. */
  public static long drainMs(long boundMs) {
    return boundMs + 1_000;
  }

  /** Waits (≤ {@code deadline}) until {@code n} consultant sockets are online: customers start after that. */
  public static ChainBuilder awaitOnline(int n, Duration deadline) {
    return exec(s -> s.set("gate_from", System.currentTimeMillis()))
        .asLongAs(s -> ONLINE.get() < n && Customer.since(s, "gate_from") < deadline.toMillis())
        .on(pause(Duration.ofMillis(100)));
  }

  private static Session scan(List<WsInboundMessage> messages, Session s) {
    Map<String, Long> received = s.get("received");
    for (Bridge.Frame f : Bridge.frames(messages)) {
      String type = f.bodyType();
      if ("presence".equals(type) && !s.contains("online")) {
        s = s.set("online", true).set("t_online", f.at());
      } else if ("new_customer".equals(type) && !f.body().path("escalated").asBoolean(false)) {
        received.putIfAbsent(f.body().path("customer").path("id").asText(), f.at());
      } else if ("err".equals(f.frame().path("type").asText())) {
        s = s.markAsFailed(); // the bridge refused a frame (token, address): this page is broken
      }
    }
    return s;
  }

  /** Records every arrival and fails the user if one is late or a customer never arrived. */
  private static Session judge(Session s, long boundMs) {
    Map<String, Long> received = s.get("received");
    boolean ok = true;
    Set<String> expected = new HashSet<>();
    long cutoff = System.currentTimeMillis() - boundMs;
    Customer.REGISTERED_AT.forEach((id, at) -> {
      if (at <= cutoff && at >= s.getLong("t_online")) {
        expected.add(id);
      }
    });
    for (Map.Entry<String, Long> e : received.entrySet()) {
      Long registered = Customer.REGISTERED_AT.get(e.getKey());
      if (registered != null) {
        ok &= Latencies.record(ALERT, Math.max(0, e.getValue() - registered), boundMs);
      }
      expected.remove(e.getKey());
    }
    expected.forEach(id -> Latencies.missing(ALERT));
    return ok && expected.isEmpty() ? s : s.markAsFailed();
  }

  /**
   * The consultant's work in {@link ClinicDay}: the list of conversations (claimed and new), claiming one that is
   * still unclaimed (200, or 409 when a colleague was faster) and replying in it.
   */
  public static ChainBuilder work() {
    return exec(http("consultant: conversations").get("/api/v1/conversations?limit=50").header(Customer.AUTH,
            Customer.BEARER)
        .check(status().is(200), bodyString().transform(Consultant::unclaimed).saveAs("unclaimed")))
        .doIf(s -> !s.<List<String>>get("unclaimed").isEmpty()).then(
            exec(s -> {
              List<String> ids = s.get("unclaimed");
              return s.set("claim_id", ids.get(ThreadLocalRandom.current().nextInt(ids.size())));
            })
                .exec(http("consultant: claim").post("/api/v1/conversations/#{claim_id}/claim")
                    .header(Customer.AUTH, Customer.BEARER)
                    .check(status().in(200, 409).saveAs("claim_status")))
                .doIf(s -> s.getInt("claim_status") == 200).then(
                    exec(http("consultant: reply").post("/api/v1/conversations/#{claim_id}/messages")
                        .header(Customer.AUTH, Customer.BEARER)
                        .body(StringBody("{\"content\":\"您好，我是您的专属顾问，很高兴为您服务。\"}"))
                        .check(status().is(201)))));
  }

  private static List<String> unclaimed(String body) {
    List<String> ids = new ArrayList<>();
    for (JsonNode c : Customer.parse(body).path("items")) {
      if (c.path("consultant").isNull() && "open".equals(c.path("status").asText())) {
        ids.add(c.path("id").asText());
      }
    }
    return ids;
  }
}
