package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.repeat;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;

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
public final class ConsultantFanout extends LoadSimulation {

  private final int consultants = Target.intParam("consultants", 1_000);
  private final int customers = Target.intParam("customers", 10);
  private final Duration interval = Target.secondsParam("interval", 1);
  private final long alertBound = Target.intParam("alertBoundMs", 3_000);
  private final Duration ramp = Target.secondsParam("rampSeconds", Math.max(1, consultants / 50));
  /** When the last registration was answered (0 until then). */
  private final AtomicLong registrationsDone = new AtomicLong();
  private volatile long start = System.currentTimeMillis();

  private final ScenarioBuilder consultantPages = scenario("consultant pages")
      .exec(Consultant.online(), Consultant.listen(this::keepListening, alertBound, List.of()));

  private final ScenarioBuilder registrations = scenario("registrations")
      .exec(Consultant.awaitOnline(consultants, ramp.plusSeconds(120)),
          repeat(customers).on(exec(Customer.register()).pause(interval)),
          exec(s -> {
            registrationsDone.set(System.currentTimeMillis());
            return s;
          }));

  {
    setUp(
        consultantPages.injectOpen(rampUsers(consultants).during(ramp)),
        registrations.injectOpen(atOnceUsers(1)))
        .protocols(Target.protocol())
        .assertions(
            global().successfulRequests().percent().gte(99.0),
            details(Latencies.group(Consultant.ALERT, alertBound)).failedRequests().count().is(0L),
            details(Latencies.group(Consultant.ALERT, alertBound)).allRequests().count().is((long) consultants));
  }

  /** Until the last customer's alert is due; never past the run's own deadline (a registration that failed). */
  private boolean keepListening() {
    long now = System.currentTimeMillis();
    long done = registrationsDone.get();
    long deadline = start + ramp.toMillis() + 120_000 + customers * (interval.toMillis() + 3_000L);
    return done == 0 ? now < deadline : now < done + Consultant.drainMs(alertBound);
  }

  @Override
  public void before() {
    Consultant.STAFF.addAll(Setup.consultants(Setup.adminToken(), consultants));
    start = System.currentTimeMillis();
  }
}
