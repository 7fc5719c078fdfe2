package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import com.anmeismart.server.mcp.McpGroup;
import com.anmeismart.server.mcp.McpMetrics;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HeaderAccessor;
import io.modelcontextprotocol.server.transport.ServerTransportSecurityException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The guard in front of every MCP route, before any MCP handling: Origin (when present) must be allowed, else 403;
 * {@code Authorization: Bearer <group key>} must name a group, else 401; the group must be enabled, else 403. The
 * group and the key's hash are put on the routing context; {@link #context} turns them into the SDK's per-request
 * transport context.
 */
public final class McpAuth implements Handler<RoutingContext> {

  static final String GROUP = "mcp.group";
  static final String KEY_HASH = "mcp.keyHash";
  static final String KEY_USED = "mcp.keyUsed";
  /** Transport-context keys, read by the tool adapter. */
  public static final String CTX_GROUP_ID = "groupId";
  public static final String CTX_CONTEXT_TOKEN = "contextToken";
  public static final String CTX_CALLER = "callerId";
  /** {@code current} or {@code previous}: which of the group's keys the request presented (rotation grace). */
  public static final String CTX_KEY_USED = "keyUsed";

  private final GroupRegistry registry;
  private final McpMetrics metrics;
  private final DefaultServerTransportSecurityValidator origins;

  /** @param allowedOrigins comma-separated origins; {@code http://host:*} allows any port */
  public McpAuth(GroupRegistry registry, McpMetrics metrics, String allowedOrigins) {
    this.registry = registry;
    this.metrics = metrics;
    this.origins = DefaultServerTransportSecurityValidator.builder()
        .allowedOrigins(Arrays.stream(allowedOrigins.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
        .build();
  }

  @Override
  public void handle(RoutingContext ctx) {
    try {
      // Spec (transports, security warning): servers MUST validate the Origin header; an invalid one → 403.
      origins.validate(new HeaderAccessor() {
        @Override
        public List<String> getHeader(String name) {
          return ctx.request().headers().getAll(name);
        }

        @Override
        public List<String> getHeaderNames() {
          return List.copyOf(ctx.request().headers().names());
        }
      });
    } catch (ServerTransportSecurityException e) {
      metrics.authFailure("bad_origin");
      fail(ctx, e.getStatusCode(), e.getMessage());
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    String key = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
    if (key == null || key.isEmpty()) {
      metrics.authFailure("missing_key");
      fail(ctx, 401, "Missing API key: send Authorization: Bearer <group key>");
      return;
    }
    GroupRegistry.KeyMatch match = registry.match(key);
    McpGroup group = match == null ? null : match.group();
    if (group == null) {
      metrics.authFailure("unknown_key");
      fail(ctx, 401, "Invalid API key");
      return;
    }
    if (!group.enabled()) {
      metrics.authFailure("disabled_group");
      fail(ctx, 403, "This tool group is disabled");
      return;
    }
    ctx.put(GROUP, group);
    // the hash of the key presented: a session opened with the previous key stays bound to it (and ends with it)
    ctx.put(KEY_HASH, match.previous() ? group.previousKeyHash() : group.keyHash());
    ctx.put(KEY_USED, match.keyUsed());
    ctx.next();
  }

  /** REST routes get the API's error shape; the MCP endpoints a JSON-RPC error. */
  private static void fail(RoutingContext ctx, int status, String message) {
    String path = ctx.request().path();
    if (path.startsWith("/mcp/tools") || path.startsWith("/mcp/call") || path.startsWith("/mcp/status")) {
      RestToolApi.error(ctx, status, status == 401 ? "unauthorized" : "forbidden", message);
    } else {
      JsonRpc.fail(ctx.response(), status, JsonRpc.SERVER_ERROR, message);
    }
  }

  public static McpGroup group(RoutingContext ctx) {
    return ctx.get(GROUP);
  }

  public static String keyHash(RoutingContext ctx) {
    return ctx.get(KEY_HASH);
  }

  /** {@code current} or {@code previous} (during a rotation's grace), for the call log. */
  public static String keyUsed(RoutingContext ctx) {
    return ctx.get(KEY_USED);
  }

  /** The SDK transport context of this request: the group, the context-token header, the caller's name. */
  public static McpTransportContext context(RoutingContext ctx) {
    return context(group(ctx).id(), keyUsed(ctx), ctx.request().getHeader("X-Context-Token"),
        ctx.request().getHeader("X-Caller-Id"));
  }

  /** The same from its parts (a request relayed from another node carries them). */
  static McpTransportContext context(UUID group, String keyUsed, String token, String caller) {
    Map<String, Object> m = new HashMap<>();
    m.put(CTX_GROUP_ID, group);
    m.put(CTX_KEY_USED, keyUsed);
    if (token != null && !token.isBlank()) {
      m.put(CTX_CONTEXT_TOKEN, token.strip());
    }
    if (caller != null && !caller.isBlank()) {
      m.put(CTX_CALLER, caller.length() > 100 ? caller.substring(0, 100) : caller);
    }
    return McpTransportContext.create(m);
  }
}
