package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import com.anmeismart.server.mcp.McpGroup;
import com.anmeismart.server.mcp.McpServers;
import com.anmeismart.server.mcp.ToolRunner;
import com.anmeismart.server.mcp.tools.ToolDef;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The stateless era (revision 2026-07-28) on {@code POST /mcp}, which the SDK 2.1.0 does not serve: every request is
 * complete in itself (its key, its {@code _meta}), so any node answers it with no session. Tool requests go through
 * the same {@link ToolRunner} as the handshake era (group, hidden tools, context tokens, timeout, call log,
 * metrics) and tool definitions are the very {@link McpSchema.Tool} objects the SDK publishes, so both eras list
 * the same bytes.
 * <p>
 * When the SDK gains the revision, this class and {@link Era} go: the SDK's server would take the request and the
 * transport would only pass the key's group in the transport context, as it does for the handshake era.
 */
public final class StatelessHttp {

  private static final String SERVER_INFO = "io.modelcontextprotocol/serverInfo";
  private static final String NAME_HEADER = "Mcp-Name";
  /**
   * Caching ("Cacheable Results"): the tool list changes the moment an admin changes a group, so clients are told to
   * ask again (0); {@code subscriptions/listen} streams are told when it changes. Discovery changes only with a new
   * release. Both answers depend on the key: "private".
   */
  private static final long TOOLS_TTL_MS = 0;
  private static final long DISCOVER_TTL_MS = 3_600_000;

  private final Vertx vertx;
  private final McpJsonMapper mapper;
  private final ToolRunner runner;
  private final Map<String, McpSchema.Tool> published;
  private final ListenStreams listeners;

  /** @param published every tool as the SDK publishes it, by name */
  public StatelessHttp(Vertx vertx, McpJsonMapper mapper, ToolRunner runner, Map<String, McpSchema.Tool> published,
                       GroupRegistry registry, long keepAliveMs) {
    this.vertx = vertx;
    this.mapper = mapper;
    this.runner = runner;
    this.published = published;
    this.listeners = new ListenStreams(vertx, mapper, registry, keepAliveMs);
  }

  /** Open {@code subscriptions/listen} streams. */
  public int listenCount() {
    return listeners.size();
  }

  /** Tells the listen streams of these groups that their tool list changed. */
  public void notifyGroups(Set<UUID> groups) {
    listeners.notifyGroups(groups);
  }

  /** Ends the listen streams of rotated keys and removed groups. */
  public void sweep() {
    listeners.sweep();
  }

  /** Ends every listen stream, gracefully (the server stops). */
  public void close() {
    listeners.closeAll();
  }

  /** One stateless-era message (already authenticated and classified by {@link Era}). */
  void handle(RoutingContext ctx, McpSchema.JSONRPCMessage message, String version) {
    HttpServerResponse res = ctx.response();
    if (!(message instanceof McpSchema.JSONRPCRequest req)) {
      // Transports, "Sending Messages": a notification the server accepts gets "202 Accepted with no body". The
      // revision defines no client notification over HTTP (closing a stream cancels), so there is nothing to do.
      res.setStatusCode(202).end();
      return;
    }
    String problem = headerProblem(ctx, req);
    if (problem != null) {
      JsonRpc.fail(res, 400, req.id(), JsonRpc.HEADER_MISMATCH, problem, null);
      return;
    }
    if (!Versions.STATELESS.equals(version)) {
      // Transports: "If the server does not implement the requested protocol version ... it MUST respond with 400 Bad
      // Request and an UnsupportedProtocolVersionError listing its supported versions."
      JsonRpc.fail(res, 400, req.id(), JsonRpc.UNSUPPORTED_VERSION, "Unsupported protocol version: " + version,
          new JsonObject().put("supported", Versions.ALL).put("requested", version));
      return;
    }
    McpGroup group = McpAuth.group(ctx);
    Map<?, ?> params = req.params() instanceof Map<?, ?> p ? p : Map.of();
    switch (req.method()) {
      case "server/discover" -> result(res, req.id(), discover(group));
      case McpSchema.METHOD_TOOLS_LIST -> {
        if (params.get("cursor") != null) {
          // Pagination: "Invalid cursors SHOULD result in an error with code -32602"; the list is never paged.
          JsonRpc.fail(res, 200, req.id(), JsonRpc.INVALID_PARAMS, "Invalid params: unknown cursor", null);
        } else {
          result(res, req.id(), tools(group));
        }
      }
      case McpSchema.METHOD_TOOLS_CALL -> call(ctx, req, params);
      case "subscriptions/listen" -> listeners.open(vertx.getOrCreateContext(), res, req.id(), group.id(),
          McpAuth.keyHash(ctx), params.get("notifications") instanceof Map<?, ?> f ? f : Map.of());
      // Transports, "Protocol Version Header": "If the server does not implement the requested RPC method, it MUST
      // respond with 404 Not Found and a JSON-RPC error with code -32601 (Method not found)." That includes the
      // handshake era's initialize, ping and logging/setLevel, which this revision removed.
      default -> JsonRpc.fail(res, 404, req.id(), JsonRpc.METHOD_NOT_FOUND, "Method not found: " + req.method(),
          null);
    }
  }

  /**
   * Transports, "Standard Request Headers": {@code Mcp-Method} on every request and {@code Mcp-Name} for tools/call
   * "are REQUIRED"; "Validation failure conditions include: A required standard header (MCP-Protocol-Version,
   * Mcp-Method, Mcp-Name) is missing. A header value does not match the corresponding request body value", both
   * "400 Bad Request" with -32020. An encoded {@code Mcp-Name} ({@code =?base64?…?=}) is decoded first.
   */
  private static String headerProblem(RoutingContext ctx, McpSchema.JSONRPCRequest req) {
    if (Era.header(ctx, Era.VERSION_HEADER) == null) {
      return "Header mismatch: MCP-Protocol-Version is required";
    }
    if (Era.header(ctx, Era.METHOD_HEADER) == null) {
      return "Header mismatch: Mcp-Method is required";
    }
    if (!McpSchema.METHOD_TOOLS_CALL.equals(req.method())) {
      return null;
    }
    Object name = req.params() instanceof Map<?, ?> p ? p.get("name") : null;
    String header = Era.header(ctx, NAME_HEADER);
    if (header == null) {
      return name == null ? null : "Header mismatch: Mcp-Name is required for tools/call";
    }
    String decoded = decode(header);
    if (decoded == null) {
      return "Header mismatch: Mcp-Name carries an invalid =?base64? value";
    }
    return decoded.equals(name) ? null : "Header mismatch: Mcp-Name " + header + " but the body names " + name;
  }

  /** Transports, "Value Encoding": {@code =?base64?<UTF-8 as Base64>?=}, else the value itself; null if invalid. */
  static String decode(String header) {
    if (!(header.startsWith("=?base64?") && header.endsWith("?=") && header.length() >= 11)) {
      return header;
    }
    try {
      return new String(Base64.getDecoder().decode(header.substring(9, header.length() - 2)), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * "server/discover": "supportedVersions", "capabilities", the server's identity in {@code _meta}, instructions;
   * caching hints ("Servers MUST include caching hints on results ... returned by server/discover"). The
   * instructions name the key's group and what it allows.
   */
  private Map<String, Object> discover(McpGroup group) {
    Map<String, Object> r = complete();
    r.put("supportedVersions", Versions.ALL);
    r.put("capabilities", Map.of("tools", Map.of("listChanged", true)));
    int tools = runner.visible(group.id()).size();
    r.put("instructions", McpServers.INSTRUCTIONS + " This key's group: " + group.name() + " (" + tools + " tool"
        + (tools == 1 ? "" : "s") + (group.requiresContextToken() ? "; every call needs a context token)." : ")."));
    r.put("ttlMs", DISCOVER_TTL_MS);
    r.put("cacheScope", "private");
    return r;
  }

  /** "tools/list": the group's enabled tools, in one fixed order ("Servers SHOULD return tools in a deterministic
   * order"), exactly as the handshake era lists them. */
  private Map<String, Object> tools(McpGroup group) {
    List<McpSchema.Tool> tools = new ArrayList<>();
    for (ToolDef d : runner.visible(group.id())) {
      tools.add(published.get(d.name()));
    }
    Map<String, Object> r = complete();
    r.put("tools", tools);
    r.put("ttlMs", TOOLS_TTL_MS);
    r.put("cacheScope", "private");
    return r;
  }

  private void call(RoutingContext ctx, McpSchema.JSONRPCRequest req, Map<?, ?> params) {
    HttpServerResponse res = ctx.response();
    String problem = RequestCheck.problem(req);
    if (problem != null) {
      JsonRpc.fail(res, 200, req.id(), JsonRpc.INVALID_PARAMS, problem, null);
      return;
    }
    String name = (String) params.get("name");
    JsonObject args = params.get("arguments") instanceof Map<?, ?> a ? new JsonObject(stringKeyed(a))
        : new JsonObject();
    String caller = ctx.request().getHeader("X-Caller-Id");
    Map<?, ?> meta = Era.meta(params);
    if (caller == null && meta != null && meta.get(Era.META_CLIENT_INFO) instanceof Map<?, ?> info) {
      caller = String.valueOf(info.get("name"));
    }
    ToolRunner.Caller who = new ToolRunner.Caller(McpAuth.group(ctx).id(), ctx.request().getHeader("X-Context-Token"),
        caller == null ? "unknown" : caller, McpAuth.keyUsed(ctx));
    Context context = vertx.getOrCreateContext();
    runner.call(who, name, args).onComplete(ar -> context.runOnContext(v -> {
      // Cancellation: "Closing the SSE response stream MUST be treated by the server as cancellation"; a client
      // that went away gets nothing written (the call itself was already logged and counted).
      if (res.closed()) {
        return;
      }
      if (ar.failed()) {
        JsonRpc.fail(res, 500, req.id(), JsonRpc.INTERNAL_ERROR, "Internal error", null);
      } else if (ar.result().throttled()) {
        Throttled.answer(res, req.id(), ar.result().text(), ar.result().retryAfterMs());
      } else if (ar.result().unknown()) {
        // The same words as the handshake era (the SDK's): a hidden tool looks like one that does not exist.
        JsonRpc.fail(res, 200, req.id(), JsonRpc.INVALID_PARAMS, "Unknown tool: invalid_tool_name",
            "Tool not found: " + name);
      } else {
        ToolRunner.Outcome o = ar.result();
        Map<String, Object> r = complete();
        r.put("content", List.of(Map.of("type", "text", "text", o.text())));
        if (o.structured() != null) {
          r.put("structuredContent", McpServers.plainValue(o.structured()));
        }
        r.put("isError", o.error());
        result(res, req.id(), r);
      }
    }));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> stringKeyed(Map<?, ?> jsonObject) {
    return (Map<String, Object>) jsonObject; // parsed from JSON: every key is a string
  }

  /**
   * A result: "The result MUST include a resultType field"; servers "SHOULD identify themselves in each result's
   * _meta (io.modelcontextprotocol/serverInfo)".
   */
  private static Map<String, Object> complete() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("resultType", "complete");
    r.put("_meta", Map.of(SERVER_INFO, Map.of("name", McpServers.SERVER_NAME, "version", McpServers.SERVER_VERSION)));
    return r;
  }

  private void result(HttpServerResponse res, Object id, Map<String, Object> result) {
    if (res.ended() || res.closed()) {
      return;
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("jsonrpc", "2.0");
    answer.put("id", id);
    answer.put("result", result);
    try {
      res.setStatusCode(200).putHeader("Content-Type", "application/json")
          .end(Buffer.buffer(mapper.writeValueAsBytes(answer)));
    } catch (IOException e) {
      JsonRpc.fail(res, 500, id, JsonRpc.INTERNAL_ERROR, "Internal error", null);
    }
  }
}
