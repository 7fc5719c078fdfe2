package com.anmeismart.server.notify;

import com.anmeismart.server.db.InstanceLock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Sends the due rows of {@link OfflineSends} on their channels: at once for what the fan-out just scheduled, at the
 * due time of the ladder rows this process scheduled (a timer), and on a periodic pass on every node for the rest
 * (rows of another node, of a restarted process, retries). Every row goes through a lease in PostgreSQL, so a row is
 * sent by one pass at a time, once.
 */
final class OfflineSender {

  private static final Logger LOG = LoggerFactory.getLogger(OfflineSender.class);
  private static final int BATCH = 200;
  /** How long a pass may take over a row before another may take it up (a send has a 10 s timeout). */
  private static final int LEASE_SECONDS = 60;
  /** Retries of a send that may pass later, before it counts as failed. */
  static final int MAX_ATTEMPTS = 5;
  private static final double[] RETRY_SECONDS = {5, 15, 60, 300};
  /**
   * Attempts of a send a provider's rate limit refused, each {@link OfflineChannel.Outcome#retryIn} apart (WeCom:
   * 15 s, so about 30 minutes), before it counts as failed: a limit clears within a minute or an hour, and the
   * alert is still worth having then.
   */
  static final int THROTTLED_ATTEMPTS = 120;

  private final Vertx vertx;
  private final OfflineSends sends;
  private final Map<String, OfflineChannel> channels;
  private final InstanceLock instance;
  private final NotifyMetrics metrics;
  private boolean sweeping;
  private boolean sweepAgain;

  OfflineSender(Vertx vertx, OfflineSends sends, List<OfflineChannel> channels, InstanceLock instance,
                NotifyMetrics metrics) {
    this.vertx = vertx;
    this.sends = sends;
    this.channels = channels.stream().collect(java.util.stream.Collectors.toMap(OfflineChannel::name, c -> c));
    this.instance = instance;
    this.metrics = metrics;
  }

  /** Sends these rows now (the consultants were offline); the number the providers accepted. */
  Future<Integer> sendNow(List<UUID> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return sends.lease(ids.size(), LEASE_SECONDS, instance.number(), ids).compose(this::process);
  }

  /** Added to a ladder pass's delay so it comes just after its rows' due time, never just before it. */
  static final long DUE_MARGIN_MS = 20;

  /** A pass at {@code delayMs} from now (a ladder row this process scheduled falls due then). */
  void sweepIn(long delayMs) {
    vertx.setTimer(Math.max(1, delayMs), id -> sweep());
  }

  /** Sends every due row, batch after batch; one pass at a time in this process. */
  void sweep() {
    if (sweeping) {
      sweepAgain = true;
      return;
    }
    if (!instance.held()) {
      return;
    }
    sweeping = true;
    sweepAgain = false;
    sends.lease(BATCH, LEASE_SECONDS, instance.number(), null)
        .compose(due -> process(due).map(due.size()))
        .onFailure(t -> LOG.warn("offline sends pass failed (the next pass tries again): {}", t.getMessage()))
        .onComplete(ar -> {
          sweeping = false;
          if (sweepAgain || (ar.succeeded() && ar.result() == BATCH)) {
            sweep();
          }
        });
  }

  /** Each row sent, retried or settled; the number the providers accepted. */
  private Future<Integer> process(List<OfflineSends.Due> due) {
    List<Future<Boolean>> each = new ArrayList<>(due.size());
    for (OfflineSends.Due d : due) {
      each.add(one(d).recover(t -> {
        LOG.warn("offline send {} ({} to {}) failed: {}; its lease runs out and a later pass tries again", d.id(),
            d.channel(), d.consultantId(), t.getMessage());
        return Future.succeededFuture(false);
      }));
    }
    return Future.join(each).transform(ar -> {
      int accepted = 0;
      for (Future<Boolean> f : each) {
        accepted += Boolean.TRUE.equals(f.result()) ? 1 : 0;
      }
      return Future.succeededFuture(accepted);
    });
  }

  private Future<Boolean> one(OfflineSends.Due d) {
    if (d.settled() != null) {
      metrics.offlineSend(d.channel(), d.kind(), d.reason(), "skipped");
      return sends.skipped(d.id(), d.settled()).map(false);
    }
    OfflineChannel channel = channels.get(d.channel());
    if (channel == null) {
      // a channel this process doesn't run (switched off, or a newer node's): leave it to a node that does
      return sends.retry(d.id(), "channel " + d.channel() + " not available on this node", 60).map(false);
    }
    long late = Duration.between(d.dueAt(), Instant.now()).toMillis();
    return channel.send(d).compose(outcome -> {
      if (outcome.sent()) {
        metrics.offlineSend(d.channel(), d.kind(), d.reason(), "sent");
        metrics.offlineLateness(d.channel(), late);
        LOG.info("{} {} sent to consultant {} for conversation {} ({}, {} ms after due)", d.channel(), d.kind(),
            d.consultantId(), d.conversationId(), d.reason(), late);
        return sends.sent(d.id(), outcome.providerId()).map(true);
      }
      if (outcome.retryable() && outcome.retryIn() > 0 && d.attempts() < THROTTLED_ATTEMPTS) {
        metrics.offlineSend(d.channel(), d.kind(), d.reason(), "throttled");
        return sends.retry(d.id(), outcome.error(), outcome.retryIn()).map(false);
      }
      if (outcome.retryable() && outcome.retryIn() <= 0 && d.attempts() < MAX_ATTEMPTS) {
        metrics.offlineSend(d.channel(), d.kind(), d.reason(), "retry");
        return sends.retry(d.id(), outcome.error(), RETRY_SECONDS[Math.min(d.attempts(), RETRY_SECONDS.length) - 1])
            .map(false);
      }
      metrics.offlineSend(d.channel(), d.kind(), d.reason(), "failed");
      return sends.failed(d.id(), outcome.error()).map(false);
    });
  }
}
