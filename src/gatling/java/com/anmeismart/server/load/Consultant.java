package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.foreach;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
  /**
   * Customers offered to one consultant (assignment modes other than broadcast; their {@code offer} frame reached
   * some socket): the other sockets don't expect them.
   */
  static final Set<String> OFFERED = ConcurrentHashMap.newKeySet();
  /** Customers broadcast to the consultants (a new_customer frame reached some socket). */
  static final Set<String> BROADCAST = ConcurrentHashMap.newKeySet();
  /** Customers a consultant claimed (200) from the list. */
  static final Set<String> CLAIMED = ConcurrentHashMap.newKeySet();

  /** The group of the check that every offer a page got was accepted (200): one per consultant socket. */
  public static final String OFFER_ACCEPTED = "every offer on this socket accepted";

  private Consultant() {
  }

  static void reset() {
    STAFF.clear();
    NEXT.set(0);
    ONLINE.set(0);
    OFFERED.clear();
    BROADCAST.clear();
    CLAIMED.clear();
  }

  /** Logs in as the next staff account, opens the bridge and waits (≤ 10 s) until it is counted online. */
  public static ChainBuilder online() {
    return exec(s -> {
      Setup.Staff staff = STAFF.get(NEXT.getAndIncrement() % STAFF.size());
      return s.set("consultant_id", staff.id()).set("username", staff.username())
          .set("received", new HashMap<String, Long>()).set("offers", new LinkedHashMap<String, Integer>())
          .set("told", new HashSet<String>());
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
      } else if ("new_customer".equals(type)) {
        String customer = f.body().path("customer").path("id").asText();
        s.<Set<String>>get("told").add(customer);
        BROADCAST.add(customer);
        if (!f.body().path("escalated").asBoolean(false)) {
          received.putIfAbsent(customer, f.at());
        }
      } else if ("offer".equals(type)) {
        // offered to this page alone: its alert, and a conversation to accept (0: not tried yet)
        String customer = f.body().path("customer").path("id").asText();
        OFFERED.add(customer);
        received.putIfAbsent(customer, f.at());
        s.<Map<String, Integer>>get("offers").putIfAbsent(f.body().path("conversation_id").asText(), 0);
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
      // a customer offered to one consultant is expected on that socket only (it has its offer in received)
      if (at <= cutoff && at >= s.getLong("t_online") && !OFFERED.contains(id)) {
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
   * The consultant's work in {@link ClinicDay}: the list of conversations (claimed and new), claiming one of the
   * broadcast customers that is still unclaimed (200, or 409 when a colleague was faster) and replying in it.
   */
  public static ChainBuilder work() {
    return exec(http("consultant: conversations").get("/api/v1/conversations?limit=50").header(Customer.AUTH,
            Customer.BEARER)
        .check(status().is(200), bodyString().transformWithSession(Consultant::unclaimed).saveAs("unclaimed")))
        .doIf(s -> !s.<List<String>>get("unclaimed").isEmpty()).then(
            exec(s -> {
              List<String> ids = s.get("unclaimed");
              return s.set("claim_id", ids.get(ThreadLocalRandom.current().nextInt(ids.size())));
            })
                .exec(http("consultant: claim").post("/api/v1/conversations/#{claim_id}/claim")
                    .header(Customer.AUTH, Customer.BEARER)
                    .check(status().in(200, 409).saveAs("claim_status"),
                        jsonPath("$.customer.id").optional().saveAs("claimed_customer")))
                .doIf(s -> s.getInt("claim_status") == 200).then(
                    exec(s -> {
                      CLAIMED.add(s.getString("claimed_customer"));
                      return s;
                    }),
                    exec(http("consultant: reply").post("/api/v1/conversations/#{claim_id}/messages")
                        .header(Customer.AUTH, Customer.BEARER)
                        .body(StringBody("{\"content\":\"您好，我是您的专属顾问，很高兴为您服务。\"}"))
                        .check(status().is(201)))));
  }

  /**
   * Accepts each offer this page got and has not tried yet ({@code POST /conversations/{id}/accept}, 200 expected:
   * offers last {@code offer_seconds}, far longer than a round) and greets the customer, as the page's 接受 button
   * does.
   */
  public static ChainBuilder acceptOffers() {
    return foreach(Consultant::untried, "offer_id").on(
        exec(http("consultant: accept offer").post("/api/v1/conversations/#{offer_id}/accept")
            .header(Customer.AUTH, Customer.BEARER)
            .check(status().saveAs("accept_status"), status().is(200)))
            .exec(s -> {
              s.<Map<String, Integer>>get("offers").put(s.getString("offer_id"),
                  s.contains("accept_status") ? s.getInt("accept_status") : -1);
              return s;
            })
            .doIf(s -> s.contains("accept_status") && s.getInt("accept_status") == 200).then(
                exec(http("consultant: reply to offer").post("/api/v1/conversations/#{offer_id}/messages")
                    .header(Customer.AUTH, Customer.BEARER)
                    .body(StringBody("{\"content\":\"您好，我是系统为您分配的顾问，很高兴为您服务。\"}"))
                    .check(status().is(201))))
            .exec(s -> s.remove("accept_status")));
  }

  /**
   * After the page's last look at its socket: the offers it got are accepted (those of the last moments first), and
   * the check {@link #OFFER_ACCEPTED} fails the user when one was refused.
   */
  public static ChainBuilder offersAccepted() {
    return exec(acceptOffers()).exec(group(OFFER_ACCEPTED).on(exec(s -> {
      Map<String, Integer> offers = s.get("offers");
      return offers.values().stream().allMatch(status -> status == 200) ? s : s.markAsFailed();
    })));
  }

  private static List<Object> untried(Session s) {
    List<Object> ids = new ArrayList<>();
    s.<Map<String, Integer>>get("offers").forEach((id, status) -> {
      if (status == 0) {
        ids.add(id);
      }
    });
    return ids;
  }

  /**
   * Whether every customer broadcast to the consultants has been claimed by one of them (checked at the end of a
   * {@link ClinicDay}, once the last one's alert and a round after it are past).
   */
  static boolean broadcastsClaimed() {
    return Customer.REGISTERED_AT.keySet().stream().filter(BROADCAST::contains).allMatch(CLAIMED::contains);
  }

  /**
   * The open, unclaimed conversations of customers this page was told of by a {@code new_customer} frame: what its
   * cards show as 等待认领. A customer offered to one consultant is not among them (it is theirs to accept; claiming
   * one's own offer from the list would be accepting it behind the offer's back).
   */
  private static List<String> unclaimed(String body, Session s) {
    Set<String> told = s.get("told");
    List<String> ids = new ArrayList<>();
    for (JsonNode c : Customer.parse(body).path("items")) {
      if (c.path("consultant").isNull() && "open".equals(c.path("status").asText())
          && told.contains(c.path("customer").path("id").asText())) {
        ids.add(c.path("id").asText());
      }
    }
    return ids;
  }
}
