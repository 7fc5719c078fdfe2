package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;

import java.time.Duration;
import java.util.List;

/**
 * A mixed day for {@code duration} seconds (60): customers arrive at {@code rate} per second (1), register, get
 * their welcome on the page and chat twice; {@code consultants} (5) consultant pages stay online, look at their
 * conversations, claim new customers (first claim wins, the others get 409) and reply; an admin polls the failed
 * jobs every {@code adminPollSeconds} (5). Asserts ≥ 99 % success, every welcome and every new-customer alert
 * within {@code welcomeBoundMs} / {@code alertBoundMs} (3,000).
 *
 * <p>Each role's round is a list of steps ({@link #CONSULTANT_ROUND}, {@link #ADMIN_ROUND}): the features other
 * changes are adding are one step each there — the admin dashboard
 * ({@code GET /api/v1/admin/registration-automation/dashboard?days=7}) in the admin's round, and the offer flow
 * (an {@code offer} frame on the consultant's socket, {@code POST /api/v1/conversations/{id}/accept}) in the
 * consultant's.
 */
public final class ClinicDay extends LoadSimulation {

  static final String WELCOME = "registration → whole welcome";

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

  /** The admin's round. Next: the dashboard, one http(...) step like failedJobs(). */
  private static final List<ChainBuilder> ADMIN_ROUND = List.of(failedJobs());
  /** A consultant's round. Next: accepting an offer (assignment modes round_robin / least_loaded). */
  private static final List<ChainBuilder> CONSULTANT_ROUND = List.of(
      exec(Consultant.work()).pause(Duration.ofSeconds(1), Duration.ofSeconds(2)));

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
              < lead.toMillis() + duration.toMillis() + Consultant.drainMs(alertBound), alertBound, CONSULTANT_ROUND));

  private final ScenarioBuilder admin = scenario("admin")
      .exec(http("admin: login").post("/api/v1/auth/login")
          .body(StringBody("{\"username_or_email\":\"" + Target.ADMIN + "\",\"password\":\"" + Target.ADMIN_PASSWORD
              + "\"}"))
          .check(status().is(200), jsonPath("$.access_token").saveAs("token")))
      .exitHereIfFailed()
      .exec(asLongAs(s -> System.currentTimeMillis() - start < lead.toMillis() + duration.toMillis())
          .on(exec(ADMIN_ROUND).pause(adminPoll)));

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
            details(Latencies.group(Consultant.ALERT, alertBound)).allRequests().count().is((long) consultants));
  }

  /** GET /admin/registration-automation/jobs?status=failed: what the admin console's jobs panel shows. */
  private static ChainBuilder failedJobs() {
    return exec(http("admin: failed jobs").get("/api/v1/admin/registration-automation/jobs?status=failed&limit=50")
        .header(Customer.AUTH, Customer.BEARER)
        .check(status().is(200), jsonPath("$.items").exists()));
  }

  @Override
  public void before() {
    Consultant.STAFF.addAll(Setup.consultants(Setup.adminToken(), consultants));
    start = System.currentTimeMillis();
  }
}
