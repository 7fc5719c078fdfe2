package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.repeat;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code consultants} (1,000) consultant pages online at once (each its own bridge WebSocket, logged in, pinging),
 * then {@code customers} (10) registrations, one every {@code interval} seconds (1), each of which every socket
 * must receive as a {@code new_customer} frame. The figure is the delivery time per socket: from the
 * registration's 201 to the frame on that socket (so it includes the automation's steps before the notification:
 * conversation, welcome); bound {@code alertBoundMs} (3,000), and every socket must get every customer.
 * The pages arrive over {@code rampSeconds} (consultants / 50), like staff opening their browsers, not in one burst.
 */
public final class ConsultantFanout extends Simulation {

  private static final int CONSULTANTS = Target.intParam("consultants", 1_000);
  private static final int CUSTOMERS = Target.intParam("customers", 10);
  private static final Duration INTERVAL = Target.secondsParam("interval", 1);
  private static final long ALERT_BOUND = Target.intParam("alertBoundMs", 3_000);
  private static final Duration RAMP = Target.secondsParam("rampSeconds", Math.max(1, CONSULTANTS / 50));
  /** When the last registration was answered (0 until then). */
  private static final AtomicLong TRIGGERS_DONE = new AtomicLong();

  private final ScenarioBuilder consultants = scenario("consultant pages")
      .exec(Consultant.online(),
          Consultant.listen(ConsultantFanout::keepListening, ALERT_BOUND, List.of()));

  private final ScenarioBuilder registrations = scenario("registrations")
      .exec(Consultant.awaitOnline(CONSULTANTS, RAMP.plusSeconds(120)),
          repeat(CUSTOMERS).on(exec(Customer.register()).pause(INTERVAL)),
          exec(s -> {
            TRIGGERS_DONE.set(System.currentTimeMillis());
            return s;
          }));

  {
    setUp(
        consultants.injectOpen(rampUsers(CONSULTANTS).during(RAMP)),
        registrations.injectOpen(atOnceUsers(1)))
        .protocols(Target.protocol())
        .assertions(
            global().successfulRequests().percent().gte(99.0),
            details(Latencies.group(Consultant.ALERT, ALERT_BOUND)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, ALERT_BOUND)).allRequests().count().is((long) CONSULTANTS));
  }

  /** Until the last customer's alert is due; never past the run's own deadline (a registration that failed). */
  private static boolean keepListening() {
    long now = System.currentTimeMillis();
    long done = TRIGGERS_DONE.get();
    long deadline = start + RAMP.toMillis() + 120_000 + CUSTOMERS * (INTERVAL.toMillis() + 3_000L);
    return done == 0 ? now < deadline : now < done + ALERT_BOUND + 1_000;
  }

  private static volatile long start = System.currentTimeMillis();

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
