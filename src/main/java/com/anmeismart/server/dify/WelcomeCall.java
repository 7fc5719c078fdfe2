package com.anmeismart.server.dify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.WelcomeRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * One welcome from one Dify app (or the local agent): the request, the stream pushed to the customer chunk by
 * chunk, and the two deadlines. Missing the first-text deadline fails the call (the template is used); missing the
 * completion deadline keeps what arrived up to its last whole sentence (nothing half-baked), or fails when no
 * sentence is whole. Either way the stream is cancelled and Dify's stop endpoint called. A failed call is retried
 * once only when the request never reached Dify or Dify refused it before starting (reference/dify.md §5b), and
 * only while the first-text deadline leaves room.
 */
final class WelcomeCall {

  private static final Logger LOG = LoggerFactory.getLogger(WelcomeCall.class);
  private static final long RETRY_BACKOFF_MS = 200;
  private static final long RETRY_MIN_ROOM_MS = 500;
  private static final String SENTENCE_ENDS = "。！？!?.…\n";

  /**
   * What the agent wrote, as the customer saw it.
   *
   * @param text       the welcome to store: what was released to the customer (whole sentences that passed the guard)
   * @param guard      the guard's verdict ({@link SentenceGate#verdict()})
   * @param replaced   the guard let nothing through: the welcome is the template
   * @param guardNanos the guard's own time on this welcome
   */
  record Answer(String text, boolean truncated, long firstTextMs, long totalMs, JsonObject guard, boolean replaced,
                long guardNanos) {
  }

  /**
   * A deadline passed: counts against the breaker like any unavailability, unless the gateway knows the miss was
   * this server's own doing ({@link #uncounted}).
   */
  static final class DeadlineException extends RuntimeException {
    final String reason;
    final boolean counts;

    DeadlineException(String reason) {
      this(reason, true);
    }

    private DeadlineException(String reason, boolean counts) {
      super(reason, null, false, false);
      this.reason = reason;
      this.counts = counts;
    }

    /** The same miss, not held against the agent's breaker. */
    DeadlineException uncounted() {
      return new DeadlineException(reason, false);
    }
  }

  private final Vertx vertx;
  private final DifyClient client;
  private final DifyMetrics metrics;
  private final DifyConfig config;
  private final WelcomeRequest request;
  private final JsonObject body;
  private final Map<String, String> headers;
  private final String user;
  private final WelcomeGuard guard;
  private final WelcomeGuard.Customer customer;
  private final long startMs = System.currentTimeMillis();

  /** @param guard the welcome guard of the settings in force, or null when it is switched off */
  WelcomeCall(Vertx vertx, DifyClient client, DifyMetrics metrics, DifyConfig config, WelcomeRequest request,
              JsonObject profile, String contextToken, WelcomeGuard guard) {
    this.guard = guard;
    this.customer = WelcomeGuard.Customer.fromProfile(profile);
    this.vertx = vertx;
    this.client = client;
    this.metrics = metrics;
    this.config = config;
    this.request = request;
    this.user = "anmei-" + request.userId();
    String name = profile.getString("full_name") != null ? profile.getString("full_name") : profile.getString("username");
    this.body = new JsonObject()
        .put("inputs", new JsonObject()
            .put("user_id", request.userId().toString())
            .put("context_token", contextToken)
            .put("username", profile.getString("username"))
            .put("full_name", profile.getString("full_name"))
            .put("interests", String.join("、", profile.getJsonArray("interests").getList()))
            .put("source", profile.getString("source")))
        .put("query", "新用户 " + name + " 刚刚注册，请生成个性化欢迎消息")
        .put("user", user)
        .put("response_mode", config.streaming() ? "streaming" : "blocking")
        .put("auto_generate_name", false);
    this.headers = Map.of("X-Context-Token", contextToken, "X-Trace-Id", request.jobId().toString());
  }

  Future<Answer> run() {
    return attempt(1);
  }

  private Future<Answer> attempt(int n) {
    Future<Answer> answer = config.streaming() ? streamed() : blocking();
    return answer.recover(t -> {
      long room = request.firstTextBy().toEpochMilli() - System.currentTimeMillis();
      if (n == 1 && t instanceof DifyException d && d.retryable() && room > RETRY_MIN_ROOM_MS + RETRY_BACKOFF_MS) {
        LOG.info("dify call to {} failed before starting ({}), retrying once: job_id={}", config.name(), d.reason(),
            request.jobId());
        return Future.<Void>future(p -> vertx.setTimer(RETRY_BACKOFF_MS, id -> p.complete()))
            .compose(v -> attempt(2));
      }
      return Future.failedFuture(t);
    });
  }

  private Future<Answer> streamed() {
    Promise<Answer> result = Promise.promise();
    long[] firstTextAt = {0};
    String[] taskId = {null};
    int[] seq = {0};
    String address = Addresses.clientConversation(request.conversationId());
    // the first visible text is the first sentence the guard lets through (or, guard off, the first chunk)
    SentenceGate[] gate = {gate(seq, firstTextAt, address)};

    DifyClient.Stream stream = client.stream(config, body, headers, event -> {
      JsonObject data = event.data();
      if (taskId[0] == null && data.getString("task_id") != null) {
        taskId[0] = data.getString("task_id");
      }
      switch (event.name()) {
        case "agent_message", "message" -> {
          String delta = data.getString("answer", "");
          if (delta.isEmpty()) {
            return;
          }
          gate[0].accept(delta);
        }
        case "message_replace" -> {
          // Dify's moderation replaced the answer: the replacement is checked like any text, and what passes
          // replaces the page's preview
          StringBuilder kept = new StringBuilder();
          gate[0] = new SentenceGate(guard == null ? null : guard.review(customer), kept::append);
          gate[0].acceptWhole(data.getString("answer", ""));
          new ClientEvent.WelcomeReplace(request.conversationId(), kept.toString()).publish(vertx.eventBus(), address);
        }
        case "agent_thought" -> checkObservation(data);
        default -> {
          // ping, message_file, tts…: nothing for a text welcome
        }
      }
    });

    long firstTimer = vertx.setTimer(Math.max(1, request.firstTextBy().toEpochMilli() - System.currentTimeMillis()),
        id -> {
          if (firstTextAt[0] == 0 && result.tryFail(new DeadlineException("first_text_deadline"))) {
            abandon(stream, taskId[0]);
          }
        });
    long completeTimer = vertx.setTimer(Math.max(1, request.completeBy().toEpochMilli() - System.currentTimeMillis()),
        id -> {
          // settle the result first: abandoning the stream fails it, and that must not be the outcome. With the
          // guard on, what was released is whole sentences that passed; the rest was never shown
          SentenceGate g = gate[0];
          String whole = g.guarded() ? g.released().strip() : wholeSentences(g.released());
          boolean settled = whole.isEmpty()
              ? result.tryFail(new DeadlineException("completion_deadline"))
              : result.tryComplete(new Answer(whole, true, firstTextAt[0] - startMs,
                  System.currentTimeMillis() - startMs, g.verdict(), false, g.guardNanos()));
          if (settled) {
            abandon(stream, taskId[0]);
          }
        });
    stream.done().onComplete(ar -> {
      vertx.cancelTimer(firstTimer);
      vertx.cancelTimer(completeTimer);
      if (ar.succeeded()) {
        long total = System.currentTimeMillis() - startMs;
        metrics.completed(config.name(), total);
        SentenceGate g = gate[0];
        g.finish();
        if (g.written().isBlank()) {
          result.tryFail(new DifyException(DifyException.Kind.PROTOCOL, 200, "empty", "message_end without text"));
        } else {
          result.tryComplete(new Answer(g.released().strip(), false, firstTextAt[0] - startMs, total, g.verdict(),
              g.replace(), g.guardNanos()));
        }
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future();
  }

  private Future<Answer> blocking() {
    Promise<Answer> result = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, request.firstTextBy().toEpochMilli() - System.currentTimeMillis()),
        id -> result.tryFail(new DeadlineException("first_text_deadline")));
    client.blocking(config, body, headers).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.failed()) {
        result.tryFail(ar.cause());
        return;
      }
      String answer = ar.result().getString("answer", "").strip();
      long total = System.currentTimeMillis() - startMs;
      if (answer.isEmpty()) {
        result.tryFail(new DifyException(DifyException.Kind.PROTOCOL, 200, "empty", "blocking answer without text"));
      } else {
        // nothing was shown yet: checked whole, stored as the guard leaves it
        SentenceGate g = new SentenceGate(guard == null ? null : guard.review(customer), s -> { }, false);
        g.acceptWhole(answer);
        metrics.firstText(config.name(), total);
        metrics.completed(config.name(), total);
        result.tryComplete(new Answer(g.released().strip(), false, total, total, g.verdict(), g.replace(),
            g.guardNanos()));
      }
    });
    return result.future();
  }

  /** A gate releasing sentences to the customer's page, noting the first visible text. */
  private SentenceGate gate(int[] seq, long[] firstTextAt, String address) {
    return new SentenceGate(guard == null ? null : guard.review(customer), text -> {
      if (firstTextAt[0] == 0) {
        firstTextAt[0] = System.currentTimeMillis();
        metrics.firstText(config.name(), firstTextAt[0] - startMs);
      }
      new ClientEvent.WelcomeChunk(request.conversationId(), seq[0]++, text).publish(vertx.eventBus(), address);
    });
  }

  /** Dify turns MCP failures into observation text and carries on: count and log them, the HTTP call succeeds. */
  private void checkObservation(JsonObject thought) {
    String observation = thought.getString("observation", "");
    if (observation.contains("tool invoke error") || observation.contains("unknown error")
        || observation.contains("there is not a tool named")) {
      metrics.toolError(config.name());
      LOG.warn("dify agent {} reports MCP trouble: job_id={}, user_id={}, tool={}, observation={}", config.name(),
          request.jobId(), request.userId(), thought.getString("tool"),
          observation.length() > 300 ? observation.substring(0, 300) + "…" : observation);
    }
  }

  private void abandon(DifyClient.Stream stream, String taskId) {
    stream.cancel();
    if (taskId != null) {
      client.stop(config, taskId, user).onFailure(t -> LOG.debug("dify stop of task {} failed: {}", taskId,
          t.getMessage()));
    }
  }

  /** The text up to and including its last sentence end; empty when no sentence is whole. */
  static String wholeSentences(String text) {
    for (int i = text.length() - 1; i >= 0; i--) {
      if (SENTENCE_ENDS.indexOf(text.charAt(i)) >= 0) {
        return text.substring(0, i + 1).strip();
      }
    }
    return "";
  }
}
