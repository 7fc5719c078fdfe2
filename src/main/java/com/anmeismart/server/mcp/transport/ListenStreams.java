package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open {@code subscriptions/listen} streams of stateless-era clients (2026-07-28, "Subscriptions"): each is the
 * SSE answer to one request, bound to its key's group, and hears {@code notifications/tools/list_changed} when an
 * admin changes that group's tools. This is request-scoped state, not a session: a stream lives on the node that
 * received its request, every node reloads the configuration on the same event and tells its own streams, and a
 * client that loses its stream sends the request again (on any node).
 */
final class ListenStreams {

  static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  private static final String ACKNOWLEDGED = "notifications/subscriptions/acknowledged";
  private static final String TOOLS_CHANGED = "notifications/tools/list_changed";

  private record Stream(Object id, UUID groupId, String keyHash, boolean toolsListChanged, Context context,
                        HttpServerResponse res, long keepAlive) {
  }

  private final Vertx vertx;
  private final McpJsonMapper mapper;
  private final GroupRegistry registry;
  private final long keepAliveMs;
  private final Map<HttpServerResponse, Stream> streams = new ConcurrentHashMap<>();

  ListenStreams(Vertx vertx, McpJsonMapper mapper, GroupRegistry registry, long keepAliveMs) {
    this.vertx = vertx;
    this.mapper = mapper;
    this.registry = registry;
    this.keepAliveMs = keepAliveMs;
  }

  int size() {
    return streams.size();
  }

  /**
   * Opens the stream. "The server MUST send notifications/subscriptions/acknowledged as the first message carrying
   * the subscription's ID in _meta ... The notifications field in the acknowledgment reflects the subset the server
   * agreed to honor": tool list changes are the only kind this server has (no prompts, no resources).
   */
  void open(Context context, HttpServerResponse res, Object id, UUID groupId, String keyHash, Map<?, ?> filter) {
    boolean tools = Boolean.TRUE.equals(filter.get("toolsListChanged"));
    res.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
    Map<String, Object> agreed = new LinkedHashMap<>();
    if (tools) {
      agreed.put("toolsListChanged", true);
    }
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("_meta", Map.of(SUBSCRIPTION_ID, id));
    params.put("notifications", agreed);
    write(res, notification(ACKNOWLEDGED, params));
    // Transports: "servers are encouraged to periodically emit an SSE comment line ... as a keep-alive".
    long keepAlive = vertx.setPeriodic(keepAliveMs, t -> context.runOnContext(v -> {
      if (!res.ended() && !res.closed()) {
        res.write(": ping\n\n");
      }
    }));
    Stream s = new Stream(id, groupId, keyHash, tools, context, res, keepAlive);
    streams.put(res, s);
    res.closeHandler(v -> forget(s));
  }

  /** Tells the streams of these groups that asked for it: their tool list changed. */
  void notifyGroups(Set<UUID> groups) {
    streams.values().stream().filter(s -> s.toolsListChanged() && groups.contains(s.groupId()))
        .forEach(s -> s.context().runOnContext(v -> write(s.res(), notification(TOOLS_CHANGED,
            Map.of("_meta", Map.of(SUBSCRIPTION_ID, s.id()))))));
  }

  /** Ends the streams whose key was rotated or whose group was removed. */
  void sweep() {
    streams.values().stream().filter(s -> !registry.stillValid(s.keyHash(), s.groupId())).forEach(this::end);
  }

  /** Ends every stream (the server stops). */
  void closeAll() {
    streams.values().forEach(this::end);
  }

  /**
   * "Graceful Closure": a server that ends a subscription "SHOULD respond to the original subscriptions/listen
   * request with a completion result before closing the stream".
   */
  private void end(Stream s) {
    forget(s);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("resultType", "complete");
    result.put("_meta", Map.of(SUBSCRIPTION_ID, s.id()));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("jsonrpc", "2.0");
    answer.put("id", s.id());
    answer.put("result", result);
    s.context().runOnContext(v -> {
      write(s.res(), answer);
      if (!s.res().ended() && !s.res().closed()) {
        s.res().end();
      }
    });
  }

  private void forget(Stream s) {
    if (streams.remove(s.res()) != null) {
      vertx.cancelTimer(s.keepAlive());
    }
  }

  private static Map<String, Object> notification(String method, Map<String, Object> params) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jsonrpc", "2.0");
    m.put("method", method);
    m.put("params", params);
    return m;
  }

  private void write(HttpServerResponse res, Map<String, Object> message) {
    if (res.ended() || res.closed()) {
      return;
    }
    try {
      res.write(Buffer.buffer("event: message\ndata: ").appendBytes(mapper.writeValueAsBytes(message))
          .appendString("\n\n"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
