package com.anmeismart.server.cluster;

import com.anmeismart.server.config.ClusterConfig;
import com.hazelcast.spi.properties.ClusterProperty;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.util.UUID;

/**
 * Starts the server's Vert.x clustered ({@code CLUSTER=true}): Hazelcast as the cluster manager
 * ({@link HazelcastSetup}), the event bus's TCP server on {@code CLUSTER_HOST:CLUSTER_BUS_PORT}. The cluster name is
 * {@code CLUSTER_NAME}, else derived from the database's deployment id ({@link Deployment}).
 */
public final class ClusterStart {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterStart.class);
  /** A peer that vanished without closing its connections is given up on after this, not the default minute. */
  static final int BUS_CONNECT_TIMEOUT_MS = 5_000;

  /** The clustered Vert.x and this process as a member. */
  public record Joined(Vertx vertx, ClusterNode node) {
  }

  private ClusterStart() {
  }

  /** The cluster name nodes of this deployment share. */
  public static String clusterName(ClusterConfig cluster, UUID deploymentId) {
    return cluster.name() != null ? cluster.name() : "anmeismart-" + deploymentId;
  }

  /**
   * @param cluster resolved settings ({@link ClusterConfig#resolved()})
   * @param builder the Vert.x builder with metrics; {@code options} are completed with the event bus's
   */
  public static Future<Joined> join(VertxBuilder builder, VertxOptions options, ClusterConfig cluster,
                                    String clusterName) {
    // Hazelcast's first lines (before it reads its config) go through JUL unless the system property says otherwise
    System.setProperty(ClusterProperty.LOGGING_TYPE.getName(), "slf4j");
    HazelcastClusterManager manager;
    try {
      manager = new HazelcastClusterManager(HazelcastSetup.config(cluster, clusterName));
    } catch (FileNotFoundException e) {
      return Future.failedFuture(new IllegalArgumentException("CLUSTER_CONFIG: " + e.getMessage()));
    }
    options.setEventBusOptions(new EventBusOptions().setHost(cluster.host()).setPort(cluster.busPort())
        .setConnectTimeout(BUS_CONNECT_TIMEOUT_MS)
        .setClusterNodeMetadata(new JsonObject().put("name", cluster.nodeNameOrDefault())));
    LOG.info("joining cluster '{}' as {} (Hazelcast {}:{}, event bus {}:{}, members {})", clusterName,
        cluster.nodeNameOrDefault(), cluster.host(), cluster.port(), cluster.host(), cluster.busPort(),
        cluster.configFile() != null ? "from " + cluster.configFile() : cluster.members());
    return builder.with(options).withClusterManager(manager).buildClustered()
        .map(vertx -> {
          ClusterNode node = ClusterNode.member(cluster.nodeNameOrDefault(), clusterName, manager);
          LOG.info("joined cluster '{}': {} member(s)", clusterName, node.memberIds().size());
          return new Joined(vertx, node);
        })
        .recover(t -> Future.failedFuture(new IllegalStateException("could not join the cluster on "
            + cluster.host() + ":" + cluster.port() + ": " + t.getMessage(), t)));
  }
}
