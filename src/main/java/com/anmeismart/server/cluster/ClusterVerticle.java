package com.anmeismart.server.cluster;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.notify.Presence;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What a node does when the cluster changes under it (clustered mode only; a single process deploys it idle):
 * <ul>
 *   <li>a node left (crashed, killed, cut off): the presence rows of its bridge sockets are aged at once, so its
 *   consultants count as offline now, not when their rows go stale ({@code PRESENCE_TTL_SECONDS}); their pages
 *   reconnect to another node and count as online there. A node that was only cut off refreshes its rows at its
 *   next heartbeat once it is back (Presence#expireProcess);</li>
 *   <li>a node left, or the cluster merged after a network partition: the oldest member removes event-bus
 *   subscriptions of nodes that are gone, once Hazelcast has settled ({@link StaleSubscriptions}, the guard
 *   against vertx-hazelcast #196).</li>
 * </ul>
 * Jobs and escalations of a dead node need nothing here: PostgreSQL knows at once (the instance advisory lock).
 */
public final class ClusterVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterVerticle.class);
  /** When the subscription scan runs after a change: once partitions have moved, and once more later. */
  static final long[] SWEEP_AFTER_MS = {3_000, 15_000};

  private final AppContext app;
  private Consumer<String> left;
  private UUID lifecycle;

  public ClusterVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    ClusterNode node = app.node();
    if (!node.clustered()) {
      return Future.succeededFuture();
    }
    Presence presence = new Presence(app.database().pool(vertx), app.config().presenceTtlSeconds());
    var ctx = context;
    left = nodeId -> ctx.runOnContext(v -> nodeLeft(presence, nodeId));
    node.onNodeLeft(left);
    lifecycle = node.hazelcast().getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
        ctx.runOnContext(v -> {
          LOG.warn("cluster merged again after a split: {} member(s); checking for stale subscriptions",
              node.memberIds().size());
          sweepLater();
        });
      }
    });
    return Future.succeededFuture();
  }

  private void nodeLeft(Presence presence, String nodeId) {
    ClusterNode node = app.node();
    presence.expireProcess(nodeId)
        .onSuccess(n -> LOG.warn("node {} left the cluster ({} member(s) now); {} of its bridge socket(s) no longer "
            + "count as online", node.nameOf(nodeId), node.memberIds().size(), n))
        .onFailure(t -> LOG.warn("node {} left; its presence rows stay until they expire: {}", node.nameOf(nodeId),
            t.getMessage()));
    sweepLater();
  }

  private void sweepLater() {
    for (long delay : SWEEP_AFTER_MS) {
      vertx.setTimer(delay, id -> sweep());
    }
  }

  private void sweep() {
    ClusterNode node = app.node();
    if (!node.active() || !node.oldest()) {
      return;
    }
    vertx.executeBlocking(() -> StaleSubscriptions.sweep(node.hazelcast(), new HashSet<>(node.memberIds())), false)
        .onSuccess(n -> {
          if (n > 0) {
            LOG.warn("removed {} event-bus subscription(s) of nodes no longer in the cluster (vertx-hazelcast #196)",
                n);
          }
        })
        .onFailure(t -> LOG.warn("stale subscription check failed: {}", t.getMessage()));
  }

  @Override
  public Future<?> stop() {
    ClusterNode node = app.node();
    if (left != null) {
      node.removeNodeLeft(left);
    }
    if (lifecycle != null && node.active()) {
      node.hazelcast().getLifecycleService().removeLifecycleListener(lifecycle);
    }
    return Future.succeededFuture();
  }
}
