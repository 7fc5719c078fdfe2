package com.anmeismart.server.config;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The clustered-mode settings (SPEC §1, §10), part of {@link AppConfig}. A node has two cluster ports on
 * {@code CLUSTER_HOST}: Hazelcast's member port ({@code CLUSTER_PORT}: membership, the subscription and session
 * maps) and the Vert.x event bus's own TCP server ({@code CLUSTER_BUS_PORT}: the messages themselves, node to node).
 * Both must be reachable from every other node; nothing else should reach them (Hazelcast has no authentication in
 * its open-source edition: the cluster name only keeps deployments apart, it is not a password).
 *
 * @param enabled    {@code CLUSTER}
 * @param host       {@code CLUSTER_HOST}: the address this node binds its cluster ports to and announces (a name
 *                   is resolved once at start)
 * @param port       {@code CLUSTER_PORT}: Hazelcast's port; 0 picks a free one at start
 * @param busPort    {@code CLUSTER_BUS_PORT}: the event bus's port; by default {@code CLUSTER_PORT + 1} (0 when
 *                   {@code CLUSTER_PORT} is 0: a free one)
 * @param members    {@code CLUSTER_MEMBERS}: {@code host:port} of the Hazelcast ports to join over TCP (this node may
 *                   be among them)
 * @param name       {@code CLUSTER_NAME}: Hazelcast's cluster name, or null for one derived from the database's
 *                   deployment id (nodes of one database always agree; two deployments never merge)
 * @param configFile {@code CLUSTER_CONFIG}: a Hazelcast XML or YAML file whose network and join settings replace
 *                   the TCP-IP join (e.g. Kubernetes DNS discovery), or null
 * @param nodeName   {@code NODE_NAME}: the node's name in metrics, logs and {@code /ready}, or null for
 *                   {@code CLUSTER_HOST:CLUSTER_PORT}
 */
public record ClusterConfig(boolean enabled, String host, int port, int busPort, List<String> members, String name,
                            Path configFile, String nodeName) {

  static final List<String> KEYS = List.of("CLUSTER", "CLUSTER_HOST", "CLUSTER_PORT", "CLUSTER_BUS_PORT",
      "CLUSTER_MEMBERS", "CLUSTER_NAME", "CLUSTER_CONFIG", "NODE_NAME");

  /** Hazelcast's cluster name: letters, digits and {@code . _ -}, as it appears in its logs. */
  private static final String NAME_RE = "[A-Za-z0-9._-]{1,64}";

  static ClusterConfig from(JsonObject json, String pgUrl, List<String> problems) {
    String flag = AppConfig.string(json, "CLUSTER", "false").toLowerCase();
    if (!flag.equals("true") && !flag.equals("false")) {
      problems.add("CLUSTER must be true or false (was '" + flag + "')");
    }
    boolean enabled = flag.equals("true");
    int port = AppConfig.integer(json, "CLUSTER_PORT", 5701, 0, 65_535, problems);
    int busPort = AppConfig.integer(json, "CLUSTER_BUS_PORT", port == 0 ? 0 : Math.min(port + 1, 65_535), 0,
        65_535, problems);
    List<String> members = new ArrayList<>();
    String list = AppConfig.string(json, "CLUSTER_MEMBERS", null);
    if (list != null) {
      for (String m : list.split(",")) {
        String member = m.strip();
        if (member.isEmpty()) {
          continue;
        }
        if (!member.matches("[A-Za-z0-9.\\-]+(:\\d{1,5})?") || member.contains(":")
            && Integer.parseInt(member.substring(member.indexOf(':') + 1)) > 65_535) {
          problems.add("CLUSTER_MEMBERS must be host:port entries separated by commas (was '" + member + "')");
        } else {
          members.add(member);
        }
      }
    }
    String name = AppConfig.string(json, "CLUSTER_NAME", null);
    if (name != null && !name.matches(NAME_RE)) {
      problems.add("CLUSTER_NAME must be 1 to 64 letters, digits, '.', '_' or '-' (was '" + name + "')");
    }
    String file = AppConfig.string(json, "CLUSTER_CONFIG", null);
    Path configFile = file == null ? null : Path.of(file);
    if (enabled && configFile != null && !Files.isRegularFile(configFile)) {
      problems.add("CLUSTER_CONFIG file not found: " + file);
    }
    if (configFile != null && !(file.endsWith(".xml") || file.endsWith(".yaml") || file.endsWith(".yml"))) {
      problems.add("CLUSTER_CONFIG must be a Hazelcast .xml, .yaml or .yml file (was '" + file + "')");
    }
    String nodeName = AppConfig.string(json, "NODE_NAME", null);
    if (nodeName != null && nodeName.length() > 100) {
      problems.add("NODE_NAME must be at most 100 characters");
    }
    if (enabled && pgUrl == null) {
      problems.add("CLUSTER=true needs PG_URL: the embedded PostgreSQL belongs to one process, and the nodes of a "
          + "cluster must share one database");
    }
    if (enabled && port != 0 && port == busPort) {
      problems.add("CLUSTER_BUS_PORT must differ from CLUSTER_PORT (" + port + "): Hazelcast and the event bus each "
          + "listen on their own port");
    }
    if (enabled && members.isEmpty() && configFile == null) {
      problems.add("CLUSTER=true needs CLUSTER_MEMBERS (host:port of the nodes' CLUSTER_PORTs, this node's may be "
          + "among them) or a CLUSTER_CONFIG file: multicast discovery is off");
    }
    return new ClusterConfig(enabled, AppConfig.string(json, "CLUSTER_HOST", "127.0.0.1"), port, busPort,
        List.copyOf(members), name, configFile, nodeName);
  }

  /**
   * The settings as this node will use them: {@code CLUSTER_HOST} resolved to an address, ports of 0 replaced by
   * free ones (picked now, so the node's name is known before anything starts), the node's name filled in. Only
   * for a clustered start; a single process keeps its settings as they are.
   */
  public ClusterConfig resolved() throws IOException {
    String address = address(host);
    int p = port == 0 ? freePort(address) : port;
    int b = busPort == 0 ? freePort(address) : busPort;
    return new ClusterConfig(enabled, address, p, b, members, name, configFile,
        nodeName != null ? nodeName : host + ":" + p);
  }

  /** The node's name: {@code NODE_NAME}, else {@code CLUSTER_HOST:CLUSTER_PORT} (SPEC §10). */
  public String nodeNameOrDefault() {
    return nodeName != null ? nodeName : host + ":" + port;
  }

  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("CLUSTER", enabled);
    m.put("CLUSTER_HOST", host);
    m.put("CLUSTER_PORT", port);
    m.put("CLUSTER_BUS_PORT", busPort);
    m.put("CLUSTER_MEMBERS", String.join(",", members));
    m.put("CLUSTER_NAME", name);
    m.put("CLUSTER_CONFIG", configFile == null ? null : configFile.toString());
    m.put("NODE_NAME", nodeNameOrDefault());
    return m;
  }

  private static String address(String host) throws UnknownHostException {
    return InetAddress.getByName(host).getHostAddress();
  }

  /**
   * A port free now on that address. Another process could take it before Hazelcast or the event bus binds it; the
   * start then fails with a bind error, and a restart picks again.
   */
  private static int freePort(String address) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(address, 0));
      return s.getLocalPort();
    }
  }

  @Override
  public String toString() {
    return "ClusterConfig" + describe();
  }
}
