package com.anmeismart.server.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.multimap.MultiMap;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * A guard against vertx-hazelcast #196 ("previously clustered instances incorrectly cached"): event-bus
 * subscriptions of nodes that are gone, left in Vert.x's subscription multimap ({@code __vertx.subs}) when several
 * nodes die at once. vertx-hazelcast removes a leaving node's entries by scanning the multimap while Hazelcast is
 * still moving the dead members' partitions; an entry it misses there stays for good, and every node keeps sending
 * that address's messages to a node that no longer exists (a publish loses that copy, a send picks it in turn and
 * times out). This scan runs again once things have settled, on one node (the oldest member), and removes every
 * entry whose node is not a member. Removing an entry is what vertx-hazelcast itself does for a leaving node, and
 * the removal reaches every node's cached view through the same entry listener. See docs/cluster.md.
 */
final class StaleSubscriptions {

  /** Vert.x's subscription multimap (vertx-hazelcast {@code SubsMapHelper}). */
  static final String SUBS_MAP = "__vertx.subs";

  private StaleSubscriptions() {
  }

  /**
   * Removes the entries of nodes not in {@code members}; returns how many. Blocking (it reads the whole multimap):
   * call it on a worker.
   */
  static int sweep(HazelcastInstance hazelcast, Set<String> members) {
    MultiMap<String, Object> subs = hazelcast.getMultiMap(SUBS_MAP);
    int removed = 0;
    for (Map.Entry<String, Object> e : subs.entrySet()) {
      if (e.getValue() instanceof HazelcastRegistrationInfo info && !members.contains(info.unwrap().nodeId())
          && subs.remove(e.getKey(), e.getValue())) {
        removed++;
      }
    }
    return removed;
  }

  /** The nodes that have subscriptions, for tests and logs. */
  static Set<String> nodesWithSubscriptions(HazelcastInstance hazelcast) {
    MultiMap<String, Object> subs = hazelcast.getMultiMap(SUBS_MAP);
    Collection<Object> values = subs.values();
    java.util.HashSet<String> nodes = new java.util.HashSet<>();
    for (Object v : values) {
      if (v instanceof HazelcastRegistrationInfo info) {
        nodes.add(info.unwrap().nodeId());
      }
    }
    return nodes;
  }
}
