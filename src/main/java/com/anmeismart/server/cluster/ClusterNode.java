package com.anmeismart.server.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This process as a node: its name ({@code NODE_NAME}: the {@code node} label of every metric, a field of every
 * log line, {@code /ready}), its id (the Vert.x cluster node id, or a random one for a single process: it prefixes
 * what the node writes for itself, such as its bridge sockets' presence rows), and — when clustered — the
 * Hazelcast membership: how many members, which names, and who left.
 */
public final class ClusterNode {

  private final String name;
  private final String id;
  private final String clusterName;
  private final HazelcastClusterManager manager;
  private final List<Consumer<String>> leftListeners = new CopyOnWriteArrayList<>();
  /** Vert.x node id → node name of the members seen, kept after they leave (for the log lines about them). */
  private final Map<String, String> names = new ConcurrentHashMap<>();

  private ClusterNode(String name, String id, String clusterName, HazelcastClusterManager manager) {
    this.name = name;
    this.id = id;
    this.clusterName = clusterName;
    this.manager = manager;
  }

  /** A process on its own (CLUSTER=false). */
  public static ClusterNode single(String name) {
    return new ClusterNode(name, "single-" + UUID.randomUUID(), null, null);
  }

  /**
   * A member of a cluster, once Vert.x has joined it. Takes the cluster manager's node listener: Vert.x's HA
   * manager, the only other user of that slot, is off (verticles are not HA-deployed here).
   */
  static ClusterNode member(String name, String clusterName, HazelcastClusterManager manager) {
    ClusterNode node = new ClusterNode(name, manager.getNodeId(), clusterName, manager);
    node.learnNames();
    manager.nodeListener(new NodeListener() {
      @Override
      public void nodeAdded(String nodeId) {
        // nothing else to do: a new node registers its own consumers and presence
        node.learnNames();
      }

      @Override
      public void nodeLeft(String nodeId) {
        // called on a Hazelcast event thread, after vertx-hazelcast removed the node's subscriptions: listeners
        // hand over to their own Vert.x context and return at once
        node.leftListeners.forEach(l -> l.accept(nodeId));
      }
    });
    return node;
  }

  /** Vert.x's member attribute with its node id (vertx-hazelcast {@code HazelcastClusterManager}). */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";

  private void learnNames() {
    for (Member m : manager.getHazelcastInstance().getCluster().getMembers()) {
      String nodeId = m.getAttribute(VERTX_NODE_ID);
      String nodeName = m.getAttribute(HazelcastSetup.NODE_NAME_ATTRIBUTE);
      if (nodeId != null && nodeName != null) {
        names.put(nodeId, nodeName);
      }
    }
  }

  /** The name of a node seen in this cluster (also after it left), else its id. */
  public String nameOf(String nodeId) {
    return names.getOrDefault(nodeId, nodeId);
  }

  /** Whether this node is the oldest member: the one that does cluster-wide chores, once. */
  public boolean oldest() {
    if (manager == null) {
      return true;
    }
    var members = manager.getHazelcastInstance().getCluster().getMembers();
    return !members.isEmpty() && members.iterator().next().localMember();
  }

  public String name() {
    return name;
  }

  public String id() {
    return id;
  }

  public boolean clustered() {
    return manager != null;
  }

  /** Hazelcast's cluster name, or null for a single process. */
  public String clusterName() {
    return clusterName;
  }

  /** Runs {@code listener} with the Vert.x node id of every node that leaves the cluster (crashed or stopped). */
  public void onNodeLeft(Consumer<String> listener) {
    leftListeners.add(listener);
  }

  public void removeNodeLeft(Consumer<String> listener) {
    leftListeners.remove(listener);
  }

  /** The Hazelcast instance, or null for a single process. */
  public HazelcastInstance hazelcast() {
    return manager == null ? null : manager.getHazelcastInstance();
  }

  /** The Vert.x node ids of the members now (this one included). */
  public List<String> memberIds() {
    return manager == null ? List.of(id) : manager.getNodes();
  }

  /**
   * What {@code /ready} reports: the members seen (their names), this node's name and id, the cluster's name.
   * Local reads only (Hazelcast's member list is kept on every member), so it never waits on another node.
   */
  public JsonObject view() {
    JsonObject data = new JsonObject().put("node", name).put("node_id", id).put("clustered", clustered());
    if (manager == null) {
      return data.put("members", 1).put("member_names", new JsonArray().add(name));
    }
    JsonArray names = new JsonArray();
    for (Member m : manager.getHazelcastInstance().getCluster().getMembers()) {
      names.add(m.getAttribute(HazelcastSetup.NODE_NAME_ATTRIBUTE));
    }
    return data.put("members", names.size()).put("member_names", names).put("cluster_name", clusterName);
  }

  /** Whether this node still is an active member (false once it left, or Hazelcast stopped under it). */
  public boolean active() {
    return manager == null || manager.isActive() && manager.getHazelcastInstance().getLifecycleService().isRunning();
  }
}
