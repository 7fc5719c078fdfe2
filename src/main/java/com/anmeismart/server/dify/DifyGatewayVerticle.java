package com.anmeismart.server.dify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ChatRequest;
import com.anmeismart.server.bus.ChatResult;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import com.anmeismart.server.ops.LogFields;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Welcomes (and general chat turns) from Dify. Picks the user's config (A/B by weight, sticky), or the built-in
 * local agent when none is enabled; calls it behind one named circuit breaker per config; answers with the
 * configured template, flagged {@code source: "fallback"} and the reason, whenever the agent can't — so the bus
 * request always gets a welcome.
 */
public final class DifyGatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DifyGatewayVerticle.class);
  static final String WELCOME = "welcome";
  static final long FAILURE_WINDOW_MIN_MS = 3_600_000;
  static final long FAILURE_WINDOW_MAX_MS = 86_400_000;

  private final AppContext app;
  private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
  private DifyConfigStore store;
  private UserStore users;
  private ConfigChooser chooser;
  private DifyClient client;
  private DifyMetrics metrics;
  private ContextTokens contextTokens;
  private String localAgentKey;
  private Future<List<DifyConfig>> welcomeConfigs;

  public DifyGatewayVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    SecretBox box = new SecretBox(app.config().secretsKey());
    store = new DifyConfigStore(app.database().pool(vertx), box);
    users = new UserStore(app.database().pool(vertx));
    chooser = new ConfigChooser(store);
    client = new DifyClient(vertx);
    metrics = new DifyMetrics(app.metrics());
    contextTokens = new ContextTokens(vertx, box);
    localAgentKey = LocalAgentVerticle.apiKey(box);
    var bus = vertx.eventBus();
    return Future.join(
        bus.<WelcomeRequest>consumer(Addresses.WELCOME_GENERATE, this::welcome).completion(),
        bus.<ChatRequest>consumer(Addresses.DIFY_CHAT, this::chat).completion(),
        bus.consumer(Addresses.DIFY_STATUS, msg -> msg.reply(status())).completion(),
        bus.<String>consumer(Addresses.DIFY_PROBE, this::probe).completion(),
        bus.consumer(Addresses.DIFY_CONFIGS_CHANGED, msg -> welcomeConfigs = null).completion());
  }

  private void welcome(Message<WelcomeRequest> msg) {
    WelcomeRequest req = msg.body();
    long t0 = System.currentTimeMillis();
    if (!req.useAgent()) {
      metrics.fallback("agent_disabled");
      msg.reply(WelcomeResult.fallback(req.template(), 0, "agent_disabled"));
      return;
    }
    // the config that was tried: a fallback names it too, so each A/B variant's fallback rate can be counted
    String[] tried = new String[2];
    configs()
        .compose(configs -> chooser.choose(req.userId(), WELCOME, configs))
        .compose(chosen -> users.welcomeProfile(req.userId()).compose(profile -> {
          DifyConfig config = chosen.orElseGet(this::localAgent);
          String source = chosen.isPresent() ? WelcomeResult.SOURCE_DIFY : WelcomeResult.SOURCE_LOCAL_AGENT;
          String configId = chosen.isPresent() ? config.id().toString() : DifyConfig.LOCAL_AGENT_ID;
          tried[0] = configId;
          tried[1] = config.version();
          String token = contextTokens.issue(req.userId(), ContextTokens.DEFAULT_TTL);
          return breaker(configId, config.name())
              .<WelcomeCall.Answer>execute(() -> new WelcomeCall(vertx, client, metrics, config, req, profile, token).run())
              .map(answer -> {
                metrics.welcome(config.name(), source, answer.truncated() ? "truncated" : "answered");
                return new WelcomeResult(answer.text(), source, configId, config.version(),
                    System.currentTimeMillis() - t0, answer.truncated() ? "completion_deadline" : null,
                    answer.truncated());
              })
              .recover(t -> {
                metrics.welcome(config.name(), source, "fallback");
                return Future.failedFuture(t);
              });
        }))
        .recover(t -> {
          String reason = reason(t);
          metrics.fallback(reason);
          try (LogFields fields = LogFields.of("job_id", req.jobId(), "user_id", req.userId())) {
            LOG.warn("Dify Agent不可用，使用默认欢迎消息 (agent unavailable, template used): user_id={}, job_id={}, "
                + "reason={}", req.userId(), req.jobId(), reason);
          }
          return Future.succeededFuture(WelcomeResult.fallback(req.template(), System.currentTimeMillis() - t0, reason,
              tried[0], tried[1]));
        })
        .onSuccess(msg::reply);
  }

  private void chat(Message<ChatRequest> msg) {
    ChatRequest req = msg.body();
    long t0 = System.currentTimeMillis();
    store.enabled(req.purpose())
        .compose(configs -> chooser.choose(req.userId(), req.purpose(), configs))
        .compose(chosen -> {
          if (chosen.isEmpty()) {
            return Future.failedFuture(new DifyException(DifyException.Kind.HTTP, 503, "no_config",
                "no enabled Dify config for purpose " + req.purpose()));
          }
          DifyConfig config = chosen.get();
          JsonObject body = new JsonObject().put("inputs", req.inputs()).put("query", req.query())
              .put("user", "anmei-" + req.userId()).put("auto_generate_name", false)
              .put("conversation_id", req.difyConversationId() == null ? "" : req.difyConversationId());
          return breaker(config.id().toString(), config.name()).execute(() -> new ChatCall(client, config, body)
                  .run(vertx, req.timeoutMs()))
              .map(answer -> new ChatResult(answer.getString("answer"), WelcomeResult.SOURCE_DIFY,
                  config.id().toString(), answer.getString("conversation_id"), System.currentTimeMillis() - t0));
        })
        .onSuccess(msg::reply)
        .onFailure(t -> msg.fail(503, reason(t)));
  }

  /** {@code GET /v1/info} with the config's key: is the app there, and does the key work? */
  private void probe(Message<String> msg) {
    long t0 = System.currentTimeMillis();
    store.get(java.util.UUID.fromString(msg.body()))
        .compose(c -> c.isEmpty() ? Future.failedFuture(new IllegalArgumentException("no such config"))
            : client.info(c.get()))
        .onSuccess(info -> msg.reply(new JsonObject().put("ok", true).put("status", 200)
            .put("latency_ms", System.currentTimeMillis() - t0).put("info", info)))
        .onFailure(t -> msg.reply(new JsonObject().put("ok", false)
            .put("status", t instanceof DifyException d ? d.status() : 0)
            .put("latency_ms", System.currentTimeMillis() - t0)
            .put("error", t instanceof DifyException d ? d.reason() + ": " + d.getMessage() : t.getMessage())));
  }

  private Future<List<DifyConfig>> configs() {
    if (welcomeConfigs == null || welcomeConfigs.failed()) {
      welcomeConfigs = store.enabled(WELCOME);
    }
    return welcomeConfigs;
  }

  /** The built-in agent, reached over HTTP like any Dify app (so the default run crosses the real protocols). */
  private DifyConfig localAgent() {
    Integer port = Servers.ports(vertx).get("LOCAL_AGENT_PORT");
    return new DifyConfig(null, DifyConfig.LOCAL_AGENT_ID, WELCOME, "http://127.0.0.1:" + port + "/v1", null,
        localAgentKey, "agent", "streaming", LocalAgentVerticle.VERSION, 0, true, 30_000, null, null);
  }

  private CircuitBreaker breaker(String key, String name) {
    return breakers.computeIfAbsent(key, k -> {
      int maxFailures = app.config().difyBreakerMaxFailures();
      long resetMs = app.config().difyBreakerResetMs();
      CircuitBreaker b = CircuitBreaker.create("dify-" + name, vertx, new CircuitBreakerOptions()
          .setMaxFailures(maxFailures).setResetTimeout(resetMs)
          .setFailuresRollingWindow(failureWindowMs(maxFailures, resetMs))
          .setTimeout(-1).setNotificationAddress(null));
      // only Dify being unwell counts (not our 4xx config errors); a late but truncated answer is still an answer
      // (the breaker would turn a success it counts as a failure into a failed call, losing the text)
      b.failurePolicy(ar -> ar.failed() && unavailable(ar.cause()));
      b.openHandler(v -> LOG.warn("circuit breaker {} OPEN: Dify calls fail fast, welcomes use the template",
          b.name()));
      b.halfOpenHandler(v -> LOG.info("circuit breaker {} HALF-OPEN: trying one call", b.name()));
      b.closeHandler(v -> LOG.info("circuit breaker {} CLOSED", b.name()));
      metrics.breaker(b);
      return b;
    });
  }

  /**
   * How long a failure counts towards opening the breaker. Vert.x's breaker (5.0.x) counts failures in a rolling
   * window, 10 s by default, and clears the count on every success ({@code CircuitBreakerImpl}: a call that passes
   * the failure policy calls {@code reset()}), so with a window longer than any run of failures
   * {@code DIFY_BREAKER_MAX_FAILURES} means what an operator reads: that many failures in a row. With the default
   * window it meant "in 10 s", and a stalled call alone takes the ~3 s first-text deadline: at a clinic's traffic
   * the breaker never opened. One hour, or max failures × reset time when longer: at any rate where an open breaker
   * spares a customer the wait (a call at least every reset time), that many failures in a row fall inside it.
   * Capped at a day: the library sizes a map by the window in seconds.
   */
  static long failureWindowMs(int maxFailures, long resetMs) {
    return Math.min(FAILURE_WINDOW_MAX_MS, Math.max(FAILURE_WINDOW_MIN_MS, maxFailures * resetMs));
  }

  private JsonObject status() {
    JsonObject states = new JsonObject();
    breakers.values().forEach(b -> states.put(b.name(), b.state().name()));
    return new JsonObject().put("breakers", states);
  }

  private static boolean unavailable(Throwable t) {
    return t instanceof WelcomeCall.DeadlineException
        || t instanceof DifyException d && d.unavailable();
  }

  private static String reason(Throwable t) {
    if (t instanceof OpenCircuitException) {
      return "breaker_open";
    }
    if (t instanceof WelcomeCall.DeadlineException d) {
      return d.reason;
    }
    if (t instanceof DifyException d) {
      return d.reason();
    }
    return "gateway_error:" + t.getClass().getSimpleName();
  }

  @Override
  public Future<?> stop() {
    metrics.close();
    breakers.values().forEach(CircuitBreaker::close);
    return Future.succeededFuture();
  }
}
