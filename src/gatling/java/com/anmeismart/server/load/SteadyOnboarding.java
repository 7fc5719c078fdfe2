package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;

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
public final class SteadyOnboarding extends LoadSimulation {

  static final String FIRST_TEXT = "registration → first welcome text";
  static final String WELCOME = "registration → whole welcome";
  private final double rate = Target.doubleParam("rate", 20);
  private final Duration duration = Target.secondsParam("duration", 60);
  private final int consultants = Target.intParam("consultants", 5);
  private final long bound = Target.intParam("welcomeBoundMs", 3_000);
  private final long alertBound = Target.intParam("alertBoundMs", 3_000);
  /** Customers start this long after the consultants (who must be online first). */
  private final Duration lead = Target.secondsParam("lead", 3);

  /** When the load starts (the end of before()): the consultants' pages stay until the customers are done. */
  private volatile long start = System.currentTimeMillis();

  private final ScenarioBuilder consultantPages = scenario("consultant pages")
      .exec(Consultant.online(),
          // until the last customer's alert is due, plus the pages' own steps
          Consultant.listen(() -> System.currentTimeMillis() - start
              < lead.toMillis() + duration.toMillis() + Consultant.drainMs(alertBound), alertBound, List.of()));

  private final ScenarioBuilder customerPages = scenario("customer pages")
      .exec(Consultant.awaitOnline(consultants, Duration.ofSeconds(30)),
          Customer.register(), Customer.login(), Customer.pageWelcome(),
          Latencies.check(FIRST_TEXT, "t_reg", "first_text_at", bound),
          Latencies.check(WELCOME, "t_reg", "welcome_at", bound));

  {
    setUp(
        consultantPages.injectOpen(atOnceUsers(consultants)),
        customerPages.injectOpen(nothingFor(lead), constantUsersPerSec(rate).during(duration)))
        .protocols(Target.protocol())
        .assertions(
            global().successfulRequests().percent().gte(99.0),
            details(Latencies.group(FIRST_TEXT, bound)).failedRequests().count().is(0L),
            details(Latencies.group(WELCOME, bound)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, alertBound)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, alertBound)).allRequests().count().is((long) consultants));
  }

  @Override
  public void before() {
    Consultant.STAFF.addAll(Setup.consultants(Setup.adminToken(), consultants));
    start = System.currentTimeMillis();
  }
}
