package com.anmeismart.server.cluster;

import com.anmeismart.server.config.ClusterConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.spi.properties.ClusterProperty;

import java.io.FileNotFoundException;

/**
 * The Hazelcast member configuration of a node, built in code from the settings (no {@code cluster.xml}):
 * <ul>
 *   <li>Hazelcast listens on {@code CLUSTER_HOST:CLUSTER_PORT} only (no port auto-increment, no bind to every
 *   interface), so the address in {@code CLUSTER_MEMBERS} is exactly where a node is;</li>
 *   <li>TCP-IP join from {@code CLUSTER_MEMBERS}; multicast and auto-detection off. A {@code CLUSTER_CONFIG} file
 *   (XML or YAML) replaces this join, e.g. with Kubernetes DNS discovery; port, address and the rest still come
 *   from here;</li>
 *   <li>the cluster name (two deployments on one network never merge), the node's name as a member attribute;</li>
 *   <li>join at once ({@code hazelcast.wait.seconds.before.join=0}: Hazelcast's default waits 5 s to collect join
 *   requests), no phone-home, logging through SLF4J;</li>
 *   <li>a member that stops answering heartbeats is dropped after {@value #NO_HEARTBEAT_S} s (Hazelcast's default is
 *   60 s); a killed process's closed connections get it dropped sooner;</li>
 *   <li>a graceful stop waits at most {@value #GRACEFUL_STOP_S} s for its partitions to move (default 600 s: a
 *   SIGTERM could outlast any orchestrator's grace period);</li>
 *   <li>after a network partition, the split-brain merge check runs {@value #MERGE_DELAY_S} s after the start and
 *   every {@value #MERGE_DELAY_S} s (defaults 300 s and 120 s): the halves find each other sooner
 *   (vert.x #4394, see docs/cluster.md);</li>
 *   <li>Vert.x's own structures as vertx-hazelcast documents them ({@code __vertx.subs} a multimap of sets).</li>
 * </ul>
 */
public final class HazelcastSetup {

  /** The member attribute that carries the node's name ({@code NODE_NAME}). */
  public static final String NODE_NAME_ATTRIBUTE = "anmeismart.node";
  static final int NO_HEARTBEAT_S = 15;
  static final int GRACEFUL_STOP_S = 10;
  static final int MERGE_DELAY_S = 15;

  private HazelcastSetup() {
  }

  /** @param cluster resolved settings ({@link ClusterConfig#resolved()}: an address, real ports, a node name) */
  public static Config config(ClusterConfig cluster, String clusterName) throws FileNotFoundException {
    Config config = cluster.configFile() != null ? Config.loadFromFile(cluster.configFile().toFile()) : new Config();
    config.setClusterName(clusterName);
    config.setProperty(ClusterProperty.WAIT_SECONDS_BEFORE_JOIN.getName(), "0");
    config.setProperty(ClusterProperty.PHONE_HOME_ENABLED.getName(), "false");
    config.setProperty(ClusterProperty.LOGGING_TYPE.getName(), "slf4j");
    config.setProperty(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getName(), String.valueOf(NO_HEARTBEAT_S));
    config.setProperty(ClusterProperty.HEARTBEAT_INTERVAL_SECONDS.getName(), "1");
    config.setProperty(ClusterProperty.GRACEFUL_SHUTDOWN_MAX_WAIT.getName(), String.valueOf(GRACEFUL_STOP_S));
    config.setProperty(ClusterProperty.MERGE_FIRST_RUN_DELAY_SECONDS.getName(), String.valueOf(MERGE_DELAY_S));
    config.setProperty(ClusterProperty.MERGE_NEXT_RUN_DELAY_SECONDS.getName(), String.valueOf(MERGE_DELAY_S));
    config.setProperty(ClusterProperty.SOCKET_BIND_ANY.getName(), "false");
    config.getMemberAttributeConfig().setAttribute(NODE_NAME_ATTRIBUTE, cluster.nodeNameOrDefault());

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.getInterfaces().clear().setEnabled(true).addInterface(cluster.host());
    if (cluster.configFile() == null) {
      JoinConfig join = network.getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    }

    // vertx-hazelcast's "minimal required configuration" (its docs): the subscriptions are a multimap of sets
    config.getMultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET);
    config.getMapConfig("__vertx.haInfo").setBackupCount(1);
    config.getMapConfig("__vertx.nodeInfo").setBackupCount(1);
    return config;
  }
}
