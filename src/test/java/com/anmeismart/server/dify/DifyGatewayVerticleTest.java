package com.anmeismart.server.dify;

import com.anmeismart.server.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static com.anmeismart.server.dify.GatewayAlone.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway alone on the bus ({@link GatewayAlone}: no HTTP API, no engine) against the Dify double: its circuit
 * breaker at a clinic's low rate and at a burst, and the recovery through half-open. Each test deploys the gateway
 * with its own breaker settings and its own config (so its own breaker).
 */
@ExtendWith(VertxExtension.class)
class DifyGatewayVerticleTest {

  /** The first-text deadline of a stalled call: short, so a test waits for it in well under a second. */
  private static final long STALL_MS = 400;
  /** A deadline the test never waits for: the double is told when to answer or drop, or the breaker answers. */
  private static final long LONG_MS = 20_000;
  /** An answer this fast to a call with a {@link #LONG_MS} deadline came from the open breaker, not the app. */
  private static final long FAST_MS = 5_000;

  static GatewayAlone gateway;
  private String deployment;

  @BeforeAll
  static void start(Vertx vertx) throws Exception {
    gateway = new GatewayAlone(vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  @AfterEach
  void undeploy(Vertx vertx) throws Exception {
    if (deployment != null) {
      await(vertx.undeploy(deployment));
    }
  }

  private void deploy(int maxFailures, long resetMs) throws Exception {
    deployment = gateway.deploy(new JsonObject().put("DIFY_BREAKER_MAX_FAILURES", maxFailures)
        .put("DIFY_BREAKER_RESET_MS", resetMs));
  }

  @Test
  void failuresFarApartStillOpenTheBreakerAfterMaxFailuresInARow(Vertx vertx) throws Exception {
    deploy(2, 60_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);

    GatewayAlone.Answer first = await(gateway.welcome(STALL_MS));
    assertThat(first.reason()).isEqualTo("first_text_deadline");
    // a registration 11 s later: more than the library's default failure window (10 s) apart, which made the
    // breaker forget the first stall and never open at one registration a minute
    await(delay(vertx, 11_000));
    GatewayAlone.Answer second = await(gateway.welcome(STALL_MS));
    assertThat(second.reason()).isEqualTo("first_text_deadline");

    GatewayAlone.Answer third = await(gateway.welcome(LONG_MS));
    assertThat(third.reason()).as("two stalls in a row open it").isEqualTo("breaker_open");
    assertThat(third.millis()).as("the template at once, not at the deadline").isLessThan(FAST_MS);
    assertThat(third.result().content()).isEqualTo("模板欢迎语");
    assertThat(gateway.dify.requestsFor(key)).as("an open breaker sends nothing").hasSize(2);
  }

  @Test
  void aSuccessBetweenFailuresStartsTheCountAgain() throws Exception {
    deploy(2, 60_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);

    assertThat(await(gateway.welcome(STALL_MS)).reason()).isEqualTo("first_text_deadline");
    gateway.dify.change(key, DifyDouble.Scenario.AGENT_OK);
    GatewayAlone.Answer ok = await(gateway.welcome(2_000));
    assertThat(ok.result().source()).isEqualTo("dify");
    assertThat(ok.pushed()).as("the page saw the welcome stream").isNotEmpty();
    gateway.dify.change(key, DifyDouble.Scenario.PINGS_ONLY);
    assertThat(await(gateway.welcome(STALL_MS)).reason()).as("one failure since the success: still closed")
        .isEqualTo("first_text_deadline");
    assertThat(await(gateway.welcome(STALL_MS)).reason()).isEqualTo("first_text_deadline");
    assertThat(await(gateway.welcome(LONG_MS)).reason()).as("two in a row now").isEqualTo("breaker_open");
    assertThat(gateway.dify.requestsFor(key)).hasSize(4);
  }

  @Test
  void aBurstOfFailuresOpensItAndLaterCallsFailFast() throws Exception {
    deploy(5, 60_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);

    // twenty under way at once, as at twenty registrations a second; then the app drops them all
    List<Future<GatewayAlone.Answer>> burst = start(20, () -> gateway.welcome(LONG_MS));
    Poll.until(Duration.ofSeconds(20), "all twenty at the app", () -> gateway.dify.requestsFor(key).size() == 20);
    gateway.dify.dropStalled();
    assertThat(results(burst)).extracting(GatewayAlone.Answer::reason).containsOnly("no_terminal_event");
    assertThat(gateway.breakers().getMap()).containsValue("OPEN");

    List<GatewayAlone.Answer> after = results(start(10, () -> gateway.welcome(LONG_MS)));
    assertThat(after).extracting(GatewayAlone.Answer::reason).containsOnly("breaker_open");
    assertThat(after).allSatisfy(a -> assertThat(a.millis()).isLessThan(FAST_MS));
    assertThat(gateway.dify.requestsFor(key)).hasSize(20);
  }

  @Test
  void halfOpenLetsOneTrialThroughAndItsSuccessClosesTheBreaker(VertxTestContext ctx) throws Exception {
    deploy(2, 1_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);
    results(start(2, () -> gateway.welcome(STALL_MS)));
    assertThat(gateway.breakers().getMap()).containsValue("OPEN");

    gateway.dify.change(key, DifyDouble.Scenario.GATED); // Dify is back; it answers when the test opens the gate
    Poll.until(Duration.ofSeconds(10), "half-open after the reset time", () -> gateway.breakers().getMap()
        .containsValue("HALF_OPEN"));
    List<Future<GatewayAlone.Answer>> during = start(3, () -> gateway.welcome(LONG_MS));
    Poll.until(Duration.ofSeconds(20), "one trial at the app, the others answered", () ->
        gateway.dify.requestsFor(key).size() == 3 && during.stream().filter(Future::isComplete).count() == 2);
    assertThat(during.stream().filter(Future::isComplete).map(f -> f.result().reason()))
        .as("calls during the trial fail fast").containsOnly("breaker_open");
    gateway.dify.openGate();
    assertThat(results(during)).extracting(a -> a.result().source()).containsExactlyInAnyOrder("dify", "fallback",
        "fallback");
    assertThat(gateway.breakers().getMap()).containsValue("CLOSED").doesNotContainValue("OPEN");

    gateway.dify.change(key, DifyDouble.Scenario.AGENT_OK);
    gateway.welcome(LONG_MS).onComplete(ctx.succeeding(a -> ctx.verify(() -> {
      assertThat(a.result().source()).as("closed: calls go to Dify again").isEqualTo("dify");
      assertThat(gateway.dify.requestsFor(key)).hasSize(4);
      ctx.completeNow();
    })));
  }

  @Test
  void aFailedTrialOpensTheBreakerAgain() throws Exception {
    deploy(2, 1_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);
    results(start(2, () -> gateway.welcome(STALL_MS)));
    Poll.until(Duration.ofSeconds(10), "half-open after the reset time", () -> gateway.breakers().getMap()
        .containsValue("HALF_OPEN"));

    List<Future<GatewayAlone.Answer>> during = start(3, () -> gateway.welcome(LONG_MS));
    Poll.until(Duration.ofSeconds(20), "one trial at the app, the others answered", () ->
        gateway.dify.requestsFor(key).size() == 3 && during.stream().filter(Future::isComplete).count() == 2);
    gateway.dify.dropStalled(); // the trial fails
    assertThat(results(during)).extracting(GatewayAlone.Answer::reason)
        .containsExactlyInAnyOrder("no_terminal_event", "breaker_open", "breaker_open");
    assertThat(gateway.breakers().getMap()).as("the trial failed").containsValue("OPEN");
    GatewayAlone.Answer next = await(gateway.welcome(LONG_MS));
    assertThat(next.reason()).isEqualTo("breaker_open");
    assertThat(next.millis()).isLessThan(FAST_MS);
    assertThat(gateway.dify.requestsFor(key)).as("two that opened it, one trial").hasSize(3);
  }

  /**
   * Misses that are this server's doing don't open the breaker (they still end in the template): a Dify call asked
   * with less than half of its window left (the job waited here first), and any miss of the local agent (it runs on
   * this server's CPU). A miss with the window whole still counts.
   */
  @Test
  void deadlinesMissedOnThisServersAccountDontOpenTheBreaker() throws Exception {
    deploy(2, 60_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);
    for (int i = 0; i < 3; i++) {
      // registered 1.2 s before the gateway was asked, 0.4 s of the window left
      assertThat(await(gateway.welcome(STALL_MS, 1_200)).reason()).as("late start " + i).isEqualTo("first_text_deadline");
    }
    assertThat(gateway.breakers().getMap()).as("three late misses").doesNotContainValue("OPEN");
    assertThat(await(gateway.welcome(STALL_MS, 200)).reason()).isEqualTo("first_text_deadline");
    assertThat(await(gateway.welcome(STALL_MS)).reason()).isEqualTo("first_text_deadline");
    assertThat(await(gateway.welcome(LONG_MS)).reason()).as("two misses with most of the window: counted")
        .isEqualTo("breaker_open");
    assertThat(gateway.dify.requestsFor(key)).hasSize(5);

    try {
      gateway.localAgent(DifyDouble.Scenario.PINGS_ONLY);
      String agentKey = LocalAgentVerticle.apiKey(new com.anmeismart.server.security.SecretBox(GatewayAlone.SECRETS_KEY));
      List<GatewayAlone.Answer> local = results(start(4, () -> gateway.welcome(STALL_MS)));
      assertThat(local).extracting(GatewayAlone.Answer::reason).containsOnly("first_text_deadline");
      assertThat(local).extracting(a -> a.result().configId()).containsOnly(DifyConfig.LOCAL_AGENT_ID);
      gateway.dify.change(agentKey, DifyDouble.Scenario.AGENT_OK);
      GatewayAlone.Answer ok = await(gateway.welcome(LONG_MS));
      assertThat(ok.result().source()).as("four local misses in a row: the local agent is still asked")
          .isEqualTo("local-agent");
      assertThat(gateway.dify.requestsFor(agentKey)).hasSize(5);
    } finally {
      gateway.noLocalAgent();
    }
  }

  private static List<Future<GatewayAlone.Answer>> start(int n, Supplier<Future<GatewayAlone.Answer>> call) {
    List<Future<GatewayAlone.Answer>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(call.get());
    }
    return calls;
  }

  private static List<GatewayAlone.Answer> results(List<Future<GatewayAlone.Answer>> calls) throws Exception {
    await(Future.all(calls));
    return calls.stream().map(Future::result).toList();
  }

  private static Future<Void> delay(Vertx vertx, long ms) {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(ms, id -> p.complete());
    return p.future();
  }
}
