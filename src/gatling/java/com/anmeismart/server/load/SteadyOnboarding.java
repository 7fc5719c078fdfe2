package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;
import java.util.List;

/**
 * An open model: customers arrive at {@code rate} per second (20) for {@code duration} seconds (60), whatever the
 * server's answers do; {@code consultants} (5) consultant pages are online the whole time.
 *
 * <p>Each customer is a page: it registers, logs in, waits for its conversation, opens the bridge (SockJS
 * WebSocket) and registers {@code client.conversation.<id>} with its JWT in the frame headers, reads the history,
 * then takes the welcome from the bridge. Timed from the registration's 201: the first visible welcome text (the
 * first {@code welcome_chunk}, or the stored welcome if that came first) and the whole welcome (the stored
 * message). Each consultant socket times every {@code new_customer} frame from that customer's 201. Bounds:
 * {@code welcomeBoundMs} (3,000) for both welcome figures, {@code alertBoundMs} (3,000) for the alert.
 */
public final class SteadyOnboarding extends Simulation {

  static final String FIRST_TEXT = "registration → first welcome text";
  static final String WELCOME = "registration → whole welcome";
  private static final double RATE = Target.doubleParam("rate", 20);
  private static final Duration DURATION = Target.secondsParam("duration", 60);
  private static final int CONSULTANTS = Target.intParam("consultants", 5);
  private static final long BOUND = Target.intParam("welcomeBoundMs", 3_000);
  private static final long ALERT_BOUND = Target.intParam("alertBoundMs", 3_000);
  /** Customers start this long after the consultants (who must be online first). */
  private static final Duration LEAD = Target.secondsParam("lead", 3);

  /** When the load starts (the end of before()): the consultants' pages stay until the customers are done. */
  private volatile long start = System.currentTimeMillis();

  private final ScenarioBuilder consultants = scenario("consultant pages")
      .exec(Consultant.online(),
          // until the last customer's alert is due (a few seconds of slack for the pages' own steps)
          Consultant.listen(() -> System.currentTimeMillis() - start
              < LEAD.toMillis() + DURATION.toMillis() + ALERT_BOUND + 5_000, ALERT_BOUND, List.of()));

  private final ScenarioBuilder customers = scenario("customer pages")
      .exec(Consultant.awaitOnline(CONSULTANTS, Duration.ofSeconds(30)),
          Customer.register(), Customer.login(), Customer.pageWelcome(),
          Latencies.check(FIRST_TEXT, "t_reg", "first_text_at", BOUND),
          Latencies.check(WELCOME, "t_reg", "welcome_at", BOUND));

  {
    setUp(
        consultants.injectOpen(atOnceUsers(CONSULTANTS)),
        customers.injectOpen(nothingFor(LEAD), constantUsersPerSec(RATE).during(DURATION)))
        .protocols(Target.protocol())
        .assertions(
            global().successfulRequests().percent().gte(99.0),
            details(Latencies.group(FIRST_TEXT, BOUND)).failedRequests().count().is(0L),
            details(Latencies.group(WELCOME, BOUND)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, ALERT_BOUND)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, ALERT_BOUND)).allRequests().count().is((long) CONSULTANTS));
  }

  @Override
  public void before() {
    Consultant.STAFF.addAll(Setup.consultants(Setup.adminToken(), CONSULTANTS));
    start = System.currentTimeMillis();
  }

  @Override
  public void after() {
    Latencies.log(getClass().getSimpleName());
  }
}
