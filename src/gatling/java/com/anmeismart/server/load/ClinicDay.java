package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;

import java.time.Duration;
import java.util.List;

/**
 * A mixed day for {@code duration} seconds (60): customers arrive at {@code rate} per second (1), register, get
 * their welcome on the page and chat twice; {@code consultants} (5) consultant pages stay online and, each round,
 * accept the customers offered to them ({@code offer} frame → {@code POST /conversations/{id}/accept} → a reply),
 * look at their conversations, claim broadcast customers (first claim wins, the others get 409) and reply; an admin
 * polls the failed jobs and the dashboard ({@code GET …/dashboard?days=7}) every {@code adminPollSeconds} (5).
 *
 * <p>The clinic assigns customers by {@code assignment} ({@code round_robin}; {@code least_loaded}, or
 * {@code broadcast} for the day before assignment rules) with {@code maxOpen} (6) open conversations per consultant:
 * switched through {@code PUT /admin/notification-settings} in {@code before()} and restored in {@code after()}. Once
 * every consultant has {@code maxOpen} open conversations, the next customers are offered to nobody and broadcast, so
 * a day has both: offers accepted, then claims.
 *
 * <p>Asserts ≥ 99 % success; every welcome within {@code welcomeBoundMs} (3,000); on every consultant socket, every
 * broadcast customer and every offer to it within {@code alertBoundMs} (3,000) (a customer offered to nobody and
 * broadcast to nobody is missing on every socket); every offer a page got accepted (200); with an assignment mode,
 * at least one customer offered; every customer broadcast claimed by a consultant by the end.
 *
 * <p>Each role's round is a list of steps ({@link #CONSULTANT_ROUND}, {@link #ADMIN_ROUND}): another feature is one
 * more step there.
 */
public final class ClinicDay extends LoadSimulation {

  static final String WELCOME = "registration → whole welcome";
  private static final String SETTINGS = "/api/v1/admin/notification-settings";

  private final double rate = Target.doubleParam("rate", 1);
  private final long bound = Target.intParam("welcomeBoundMs", 3_000);
  private final long alertBound = Target.intParam("alertBoundMs", 3_000);
  private final Duration duration = Target.secondsParam("duration", 60);
  private final int consultants = Target.intParam("consultants", 5);
  private final Duration adminPoll = Target.secondsParam("adminPollSeconds", 5);
  /** A customer's pause between chat messages: between think and twice that (seconds, default 2). */
  private final Duration think = Target.secondsParam("think", 2);
  /** Customers start this long after the consultants (who must be online first). */
  private final Duration lead = Target.secondsParam("lead", 3);

  /** How new customers are assigned during the run: round_robin, least_loaded or broadcast. */
  private final String assignment = Target.param("assignment", "round_robin");
  /** Open conversations per consultant before they are offered nobody (the setting max_open_conversations). */
  private final int maxOpen = Target.intParam("maxOpen", 6);

  /** The admin's round: what the console's jobs panel and dashboard read. */
  private static final List<ChainBuilder> ADMIN_ROUND = List.of(failedJobs(), dashboard());
  /** A consultant's round: offers first (they expire), then the broadcast customers. */
  private static final List<ChainBuilder> CONSULTANT_ROUND = List.of(Consultant.acceptOffers(),
      exec(Consultant.work()).pause(Duration.ofSeconds(1), Duration.ofSeconds(2)));
  /** The group of the check that the assignment mode offered someone a customer. */
  static final String OFFERS_MADE = "customers offered under the assignment mode";
  /** The group of the check that every customer broadcast (offered to nobody) was claimed. */
  static final String BROADCASTS_CLAIMED = "broadcast customers claimed";
  /** A consultant's round at most (its pause is 1–2 s): how long after the last alert the pages keep working. */
  private static final long ROUND_MS = 3_000;

  /** The notification settings before the run (restored after it). */
  private volatile JsonNode settingsBefore;

  private volatile long start = System.currentTimeMillis();

  private final ScenarioBuilder customers = scenario("customers")
      .exec(Consultant.awaitOnline(consultants, Duration.ofSeconds(30)),
          Customer.register(), Customer.login(), Customer.pageWelcome(),
          Latencies.check(WELCOME, "t_reg", "welcome_at", bound))
      .exitHereIfFailed()
      .pause(think, think.multipliedBy(2))
      .exec(Customer.chat("你好，我想了解一下补水项目。"))
      .pause(think, think.multipliedBy(2))
      .exec(Customer.chat("光子嫩肤大概需要几次？"));

  private final ScenarioBuilder consultantPages = scenario("consultants")
      .exec(Consultant.online(),
          Consultant.listen(() -> System.currentTimeMillis() - start
              < lead.toMillis() + duration.toMillis() + Consultant.drainMs(alertBound) + ROUND_MS, alertBound,
              CONSULTANT_ROUND),
          Consultant.offersAccepted());

  private final ScenarioBuilder admin = scenario("admin")
      .exec(http("admin: login").post("/api/v1/auth/login")
          .body(StringBody("{\"username_or_email\":\"" + Target.ADMIN + "\",\"password\":\"" + Target.ADMIN_PASSWORD
              + "\"}"))
          .check(status().is(200), jsonPath("$.access_token").saveAs("token")))
      .exitHereIfFailed()
      .exec(asLongAs(s -> System.currentTimeMillis() - start < lead.toMillis() + duration.toMillis())
          .on(exec(ADMIN_ROUND).pause(adminPoll)))
      // once the last customer's alert is due and the pages had a round to take it (they listen as long)
      .pause(Duration.ofMillis(Consultant.drainMs(alertBound) + ROUND_MS))
      .exec(group(OFFERS_MADE).on(exec(s -> "broadcast".equals(assignment) || Customer.REGISTERED_AT.isEmpty()
          || !Consultant.OFFERED.isEmpty() ? s : s.markAsFailed())))
      .exec(group(BROADCASTS_CLAIMED).on(exec(s -> Consultant.broadcastsClaimed() ? s : s.markAsFailed())));

  {
    setUp(
        consultantPages.injectOpen(atOnceUsers(consultants)),
        admin.injectOpen(atOnceUsers(1)),
        customers.injectOpen(nothingFor(lead), constantUsersPerSec(rate).during(duration)))
        .protocols(Target.protocol())
        .assertions(
            global().successfulRequests().percent().gte(99.0),
            details(Latencies.group(WELCOME, bound)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, alertBound)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, alertBound)).allRequests().count().is((long) consultants),
            details(Consultant.OFFER_ACCEPTED).failedRequests().count().is(0L),
            details(Consultant.OFFER_ACCEPTED).allRequests().count().is((long) consultants),
            details(OFFERS_MADE).failedRequests().count().is(0L),
            details(BROADCASTS_CLAIMED).failedRequests().count().is(0L));
  }

  /** GET /admin/registration-automation/jobs?status=failed: what the admin console's jobs panel shows. */
  private static ChainBuilder failedJobs() {
    return exec(http("admin: failed jobs").get("/api/v1/admin/registration-automation/jobs?status=failed&limit=50")
        .header(Customer.AUTH, Customer.BEARER)
        .check(status().is(200), jsonPath("$.items").exists()));
  }

  /** GET /admin/registration-automation/dashboard?days=7: the console's dashboard, as its page polls it. */
  private static ChainBuilder dashboard() {
    return exec(http("admin: dashboard").get("/api/v1/admin/registration-automation/dashboard?days=7")
        .header(Customer.AUTH, Customer.BEARER)
        .check(status().is(200), jsonPath("$.days").ofInt().is(7), jsonPath("$.automation_metrics").exists()));
  }

  @Override
  public void before() {
    String admin = Setup.adminToken();
    settingsBefore = Setup.call("GET", SETTINGS, admin, null, 200);
    Setup.call("PUT", SETTINGS, admin, Setup.JSON.createObjectNode().put("assignment_mode", assignment)
        .put("max_open_conversations", maxOpen), 200);
    Consultant.STAFF.addAll(Setup.consultants(admin, consultants));
    start = System.currentTimeMillis();
  }

  /** Puts back the assignment settings the run changed (the server may serve other runs after this one). */
  @Override
  public void after() {
    super.after();
    if (settingsBefore != null) {
      Setup.call("PUT", SETTINGS, Setup.adminToken(), Setup.JSON.createObjectNode()
          .put("assignment_mode", settingsBefore.path("assignment_mode").asText())
          .put("max_open_conversations", settingsBefore.path("max_open_conversations").asInt()), 200);
    }
  }
}
