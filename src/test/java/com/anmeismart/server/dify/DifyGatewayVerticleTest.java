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

    GatewayAlone.Answer third = await(gateway.welcome(STALL_MS));
    assertThat(third.reason()).as("two stalls in a row open it").isEqualTo("breaker_open");
    assertThat(third.millis()).as("the template at once, not after the deadline").isLessThan(STALL_MS);
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
    assertThat(await(gateway.welcome(STALL_MS)).reason()).as("two in a row now").isEqualTo("breaker_open");
    assertThat(gateway.dify.requestsFor(key)).hasSize(4);
  }

  @Test
  void aBurstOfStallsOpensItAndLaterCallsFailFast() throws Exception {
    deploy(5, 60_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);

    // twenty at once, as at twenty registrations a second: all are under way before the first one fails
    List<GatewayAlone.Answer> burst = awaitAll(20, () -> gateway.welcome(STALL_MS));
    assertThat(burst).extracting(GatewayAlone.Answer::reason).containsOnly("first_text_deadline");
    assertThat(gateway.breakers().getMap()).containsValue("OPEN");

    List<GatewayAlone.Answer> after = awaitAll(10, () -> gateway.welcome(STALL_MS));
    assertThat(after).extracting(GatewayAlone.Answer::reason).containsOnly("breaker_open");
    assertThat(after).allSatisfy(a -> assertThat(a.millis()).isLessThan(STALL_MS));
    assertThat(gateway.dify.requestsFor(key)).hasSize(20);
  }

  @Test
  void halfOpenLetsOneTrialThroughAndItsSuccessClosesTheBreaker(VertxTestContext ctx) throws Exception {
    deploy(2, 1_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);
    awaitAll(2, () -> gateway.welcome(STALL_MS));
    assertThat(gateway.breakers().getMap()).containsValue("OPEN");

    gateway.dify.change(key, DifyDouble.Scenario.FIXED_DELAY); // Dify is back, answering in 1 s
    gateway.dify.fixedDelayMs = 1_000;
    Poll.until(Duration.ofSeconds(10), "half-open after the reset time", () -> gateway.breakers().getMap()
        .containsValue("HALF_OPEN"));
    List<GatewayAlone.Answer> during = awaitAll(3, () -> gateway.welcome(3_000));
    assertThat(during).extracting(a -> a.result().source()).as("one trial, the others fail fast meanwhile")
        .containsExactlyInAnyOrder("dify", "fallback", "fallback");
    assertThat(gateway.dify.requestsFor(key)).hasSize(3);
    assertThat(gateway.breakers().getMap()).containsValue("CLOSED").doesNotContainValue("OPEN");

    gateway.welcome(3_000).onComplete(ctx.succeeding(a -> ctx.verify(() -> {
      assertThat(a.result().source()).as("closed: calls go to Dify again").isEqualTo("dify");
      ctx.completeNow();
    })));
  }

  @Test
  void aFailedTrialOpensTheBreakerAgain() throws Exception {
    deploy(2, 1_000);
    String key = gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);
    awaitAll(2, () -> gateway.welcome(STALL_MS));
    Poll.until(Duration.ofSeconds(10), "half-open after the reset time", () -> gateway.breakers().getMap()
        .containsValue("HALF_OPEN"));

    List<GatewayAlone.Answer> during = awaitAll(3, () -> gateway.welcome(STALL_MS));
    assertThat(during).extracting(GatewayAlone.Answer::reason)
        .containsExactlyInAnyOrder("first_text_deadline", "breaker_open", "breaker_open");
    assertThat(gateway.breakers().getMap()).as("the trial failed").containsValue("OPEN");
    GatewayAlone.Answer next = await(gateway.welcome(STALL_MS));
    assertThat(next.reason()).isEqualTo("breaker_open");
    assertThat(next.millis()).isLessThan(STALL_MS);
    assertThat(gateway.dify.requestsFor(key)).as("two that opened it, one trial").hasSize(3);
  }

  private static List<GatewayAlone.Answer> awaitAll(int n, java.util.function.Supplier<Future<GatewayAlone.Answer>>
      call) throws Exception {
    List<Future<GatewayAlone.Answer>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(call.get());
    }
    await(Future.all(calls));
    return calls.stream().map(Future::result).toList();
  }

  private static Future<Void> delay(Vertx vertx, long ms) {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(ms, id -> p.complete());
    return p.future();
  }
}
