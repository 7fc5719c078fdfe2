package com.anmeismart.server.automation;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import com.anmeismart.server.ops.LogFields;
import com.anmeismart.server.settings.AutomationSettings;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs the steps of one claimed job, skipping those an earlier attempt finished, and records the outcome:
 * success, a retry after the configured delay (±20 % jitter), or a dead job with an admin alert.
 */
final class JobRunner {

  private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);
  static final long NOTIFY_TIMEOUT_MS = 10_000;
  /** The gateway answers by the completion deadline (with the template at worst); this covers its last steps. */
  static final long WELCOME_GRACE_MS = 5_000;
  /** Storing the welcome and publishing it take a few ms; this much of each deadline is kept for them. */
  static final long DELIVERY_MARGIN_MS = 150;

  /** The lease was lost (another engine owns the job now): stop without writing anything. */
  private static final class LeaseLost extends RuntimeException {
    LeaseLost() {
      super("lease lost", null, false, false);
    }
  }

  /** The step running now, for the failure record. */
  private static final class Current {
    Step step = Step.CONVERSATION_CREATED;
    long startNanos = System.nanoTime();

    void begin(Step next) {
      step = next;
      startNanos = System.nanoTime();
    }

    long nanos() {
      return System.nanoTime() - startNanos;
    }

    int millis() {
      return (int) (nanos() / 1_000_000);
    }
  }

  private final EventBus bus;
  private final JobStore store;
  private final AutomationMetrics metrics;

  JobRunner(EventBus bus, JobStore store, AutomationMetrics metrics) {
    this.bus = bus;
    this.store = store;
    this.metrics = metrics;
  }

  Future<Void> run(ClaimedJob job, AutomationSettings s) {
    if (!s.enabled()) {
      return skip(job, "registration automation is disabled");
    }
    if (!s.inRollout(job.userId())) {
      return skip(job, "outside the rollout of " + s.rolloutPercent() + " %");
    }
    Current current = new Current();
    return conversation(job, s, current)
        .compose(j -> welcome(j, s, current))
        .compose(j -> send(j, current))
        .compose(j -> notifyConsultants(j, s, current))
        .recover(t -> t instanceof LeaseLost ? Future.succeededFuture() : failed(job, s, current, t));
  }

  private Future<ClaimedJob> conversation(ClaimedJob job, AutomationSettings s, Current current) {
    if (job.conversationId() != null) {
      return Future.succeededFuture(job);
    }
    current.begin(Step.CONVERSATION_CREATED);
    return store.createConversation(job, s.assistantName(), s.assistantId(), s.assistantName(), 0).map(c -> {
      JobStore.Conversation conv = c.orElseThrow(LeaseLost::new);
      ClaimedJob next = job.withConversation(conv.id());
      metrics.step(Step.CONVERSATION_CREATED, true, current.nanos());
      metrics.conversationAfter(conv.sinceRegistrationMs());
      try (LogFields fields = next.logFields()) {
        LOG.info("step conversation_created ok: {}, username={}, duration_ms={}", next.ids(), job.username(),
            current.millis());
      }
      return next;
    });
  }

  private Future<ClaimedJob> welcome(ClaimedJob job, AutomationSettings s, Current current) {
    if (job.welcome() != null) {
      return Future.succeededFuture(job);
    }
    current.begin(Step.WELCOME_GENERATED);
    // deadlines count from registration; a job that starts later than that (a retry, an engine that was down)
    // gets the full windows from now instead of an instant fallback
    long firstTextMs = (long) (s.welcomeFirstTextSeconds() * 1000);
    long completionMs = (long) (s.welcomeCompletionSeconds() * 1000);
    Instant base = Instant.now().isAfter(job.registeredAt().plusMillis(firstTextMs)) ? Instant.now() : job.registeredAt();
    Instant firstTextBy = base.plusMillis(firstTextMs - deliveryMargin(firstTextMs));
    Instant completeBy = base.plusMillis(completionMs - deliveryMargin(completionMs));
    WelcomeRequest request = new WelcomeRequest(job.userId(), job.conversationId(), job.id(), job.registeredAt(),
        s.welcomeTemplate(), firstTextBy, completeBy, s.welcomeUseAgent());
    long waitMs = Math.max(0, completeBy.toEpochMilli() - System.currentTimeMillis()) + WELCOME_GRACE_MS;
    return bus.<WelcomeResult>request(Addresses.WELCOME_GENERATE, request,
            new DeliveryOptions().setSendTimeout(waitMs))
        .compose(reply -> {
          WelcomeResult result = reply.body();
          JsonObject detail = new JsonObject().put("source", result.source()).put("config_id", result.configId())
              .put("fallback_reason", result.fallbackReason()).put("latency_ms", result.latencyMs());
          return store.saveWelcome(job, result.toJson(), current.millis(), detail).map(saved -> {
            if (!saved) {
              throw new LeaseLost();
            }
            metrics.step(Step.WELCOME_GENERATED, true, current.nanos());
            try (LogFields fields = job.logFields()) {
              LOG.info("step welcome_generated ok: {}, source={}{}, duration_ms={}", job.ids(), result.source(),
                  result.fallbackReason() == null ? "" : ", fallback_reason=" + result.fallbackReason(),
                  current.millis());
            }
            return job.withWelcome(result.toJson());
          });
        });
  }

  private Future<ClaimedJob> send(ClaimedJob job, Current current) {
    if (job.welcomeMessageId() != null) {
      return Future.succeededFuture(job);
    }
    current.begin(Step.WELCOME_SENT);
    WelcomeResult welcome = WelcomeResult.fromJson(job.welcome());
    JsonObject metadata = welcome.metadata().put("job_id", job.id().toString());
    return store.sendWelcome(job, welcome.content(), metadata, 0).map(sent -> {
      JobStore.SentWelcome message = sent.orElseThrow(LeaseLost::new);
      // the stored row itself, so the live copy is the object GET …/messages returns (seq, sender_id included)
      new ClientEvent.Message(message.message()).publish(bus, Addresses.clientConversation(job.conversationId()));
      metrics.step(Step.WELCOME_SENT, true, current.nanos());
      if (message.inserted()) {
        metrics.welcomeAfter(message.sinceRegistrationMs());
      }
      try (LogFields fields = job.logFields()) {
        LOG.info("step welcome_sent ok: {}, message_id={}, since_registration_ms={}", job.ids(),
            message.message().id(), message.sinceRegistrationMs());
      }
      return job;
    });
  }

  private Future<Void> notifyConsultants(ClaimedJob job, AutomationSettings s, Current current) {
    current.begin(Step.CONSULTANTS_NOTIFIED);
    Future<JsonObject> outcome = !s.notifyConsultants()
        ? Future.succeededFuture(new JsonObject().put("skipped", "consultant notifications are switched off"))
        : bus.<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER,
                new NewCustomer(job.userId(), job.username(), job.conversationId(), job.registeredAt(), job.id(),
                    s.expectedResponseMinutes(), s.notifyWebPush(), s.notifyAdmins()),
                new DeliveryOptions().setSendTimeout(NOTIFY_TIMEOUT_MS))
            .map(reply -> reply.body().toJson());
    return outcome.compose(result -> store.finish(job, result, current.millis()).map(done -> {
      if (!done) {
        throw new LeaseLost();
      }
      metrics.step(Step.CONSULTANTS_NOTIFIED, true, current.nanos());
      metrics.finished("succeeded");
      try (LogFields fields = job.logFields()) {
        LOG.info("step consultants_notified ok: {}, result={}, duration_ms={}; job succeeded on attempt {}",
            job.ids(), result.encode(), current.millis(), job.attempt());
      }
      return null;
    }));
  }

  private Future<Void> skip(ClaimedJob job, String reason) {
    return store.skip(job, reason).map(done -> {
      if (done) {
        metrics.finished("skipped");
        try (LogFields fields = job.logFields()) {
          LOG.info("job skipped: {}, reason={}", job.ids(), reason);
        }
      }
      return null;
    });
  }

  private Future<Void> failed(ClaimedJob job, AutomationSettings s, Current current, Throwable cause) {
    String error = describe(current.step, cause);
    boolean dead = job.attempt() > s.maxRetries();
    double delay = dead ? 0 : s.retryDelaySeconds(job.attempt()) * ThreadLocalRandom.current().nextDouble(0.8, 1.2);
    metrics.step(current.step, false, current.nanos());
    // a dead job's admin alert is queued in the statement that marks it dead: a crash right after can't lose it
    String alert = dead ? "客户「" + job.username() + "」的注册自动化在 " + job.attempt() + " 次尝试后失败（" + current.step.id
        + "）：" + error : null;
    JsonObject details = dead ? new JsonObject().put("job_id", job.id().toString())
        .put("user_id", job.userId().toString())
        .put("conversation_id", job.conversationId() == null ? null : job.conversationId().toString())
        .put("step", current.step.id).put("attempts", job.attempt()).put("error", error) : null;
    return store.fail(job, current.step, error, dead, delay, current.millis(), alert, details).map(recorded -> {
      if (!recorded) {
        return null; // lease lost meanwhile: the new owner decides
      }
      if (dead) {
        metrics.dead();
        metrics.finished("dead");
        try (LogFields fields = job.logFields()) {
          LOG.error("job dead after {} attempt(s): {}, step={}, error={}", job.attempt(), job.ids(), current.step.id,
              error);
        }
        bus.publish(Addresses.ADMIN_ALERT_OUTBOX, null); // deliver now rather than at the next sweep
      } else {
        metrics.retry();
        try (LogFields fields = job.logFields()) {
          LOG.warn("step {} failed: {}, attempt={}, error={}; retry in {} s", current.step.id, job.ids(), job.attempt(),
              error, String.format("%.1f", delay));
        }
      }
      return null;
    });
  }

  /**
   * What the gateway's deadlines keep back from the settings' windows for storing and delivering the answer: the
   * windows say when the customer must see text, so a fallback has to be chosen a little before they end.
   */
  static long deliveryMargin(long windowMs) {
    return Math.min(DELIVERY_MARGIN_MS, windowMs / 10);
  }

  /** A short, log- and admin-friendly reason. */
  static String describe(Step step, Throwable t) {
    if (t instanceof ReplyException r) {
      return switch (r.failureType()) {
        case TIMEOUT -> step.id + ": no answer in time (" + r.getMessage() + ")";
        case NO_HANDLERS -> step.id + ": nobody is listening on the bus (" + r.getMessage() + ")";
        default -> step.id + ": " + r.getMessage();
      };
    }
    return step.id + ": " + (t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
  }
}
