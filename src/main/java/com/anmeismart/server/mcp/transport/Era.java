package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;

/**
 * Which protocol era a message POSTed to {@code /mcp} belongs to, decided per request as revision 2026-07-28 says
 * ("Versioning and Compatibility", backward compatibility): "A request carrying modern per-request {@code _meta} is
 * served statelessly according to this revision. An {@code initialize} request selects legacy semantics, scoped to
 * the ... session (HTTP)". "A dual-era server MAY serve both eras concurrently on the same endpoint".
 * <p>
 * The body decides (its {@code _meta} claim), the {@code MCP-Protocol-Version} header confirms: a message without a
 * claim whose header names no stateless revision is a handshake-era message (Dify, SDK 1.x clients), served by the
 * SDK on its session exactly as before.
 */
final class Era {

  static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  static final String META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  static final String METHOD_HEADER = "Mcp-Method";

  /** Where a message goes. */
  sealed interface Route permits Handshake, Stateless, Reject {
  }

  /** The handshake era: the SDK's session transport. */
  record Handshake() implements Route {
  }

  /** The stateless era at the revision the request claims (checked for support by the stateless handler). */
  record Stateless(String version) implements Route {
  }

  /** Refused before either era sees it: HTTP status and JSON-RPC error (with the request's id when it has one). */
  record Reject(int status, int code, String message) implements Route {
  }

  private static final Handshake HANDSHAKE = new Handshake();

  private Era() {
  }

  static Route of(RoutingContext ctx, McpSchema.JSONRPCMessage message) {
    String header = header(ctx, VERSION_HEADER);
    if (message instanceof McpSchema.JSONRPCRequest r) {
      return request(ctx, header, r.method(), r.params());
    }
    if (message instanceof McpSchema.JSONRPCNotification n) {
      return notification(ctx, header, n.method(), n.params());
    }
    return HANDSHAKE; // a client's answer to a server request: only handshake-era sessions send requests
  }

  private static Route request(RoutingContext ctx, String header, String method, Object params) {
    Map<?, ?> meta = meta(params);
    boolean claim = meta != null && meta.containsKey(META_VERSION);
    Object claimed = claim ? meta.get(META_VERSION) : null;
    if (McpSchema.METHOD_INITIALIZE.equals(method) && !(claimed instanceof String v && Versions.isStateless(v))) {
      if (Versions.isStateless(header)) {
        return new Reject(400, JsonRpc.HEADER_MISMATCH, "Header mismatch: an initialize request (handshake era) "
            + "carries MCP-Protocol-Version " + header);
      }
      return HANDSHAKE;
    }
    if (claim) {
      // "Per-request protocol fields": protocolVersion and clientCapabilities are required; "A request missing any
      // required field is malformed; the server MUST reject it with JSON-RPC error code -32602 (Invalid params). On
      // HTTP, the response status MUST be 400 Bad Request."
      if (!(claimed instanceof String version)) {
        return new Reject(400, JsonRpc.INVALID_PARAMS, "Invalid params: _meta." + META_VERSION + " must be a string");
      }
      if (!Versions.isStateless(version) && Versions.HANDSHAKE.contains(version)) {
        return HANDSHAKE;
      }
      if (!(meta.get(META_CAPABILITIES) instanceof Map)) {
        return new Reject(400, JsonRpc.INVALID_PARAMS, "Invalid params: _meta." + META_CAPABILITIES
            + " (an object) is required");
      }
      Object info = meta.get(META_CLIENT_INFO);
      if (info != null && !(info instanceof Map<?, ?> m && m.get("name") instanceof String)) {
        return new Reject(400, JsonRpc.INVALID_PARAMS, "Invalid params: _meta." + META_CLIENT_INFO
            + " must be an object with a name");
      }
      // Transports, "Protocol Version Header": the header "MUST match the io.modelcontextprotocol/protocolVersion
      // field carried in the request body's _meta. If the values do not match, the server MUST reject the request
      // with 400 Bad Request and a HeaderMismatch JSON-RPC error". Its absence is checked with the other headers.
      if (header != null && !header.equals(version)) {
        return new Reject(400, JsonRpc.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version " + header
            + " but _meta names " + version);
      }
      String methodHeader = header(ctx, METHOD_HEADER);
      if (methodHeader != null && !methodHeader.equals(method)) {
        return new Reject(400, JsonRpc.HEADER_MISMATCH, "Header mismatch: Mcp-Method " + methodHeader
            + " but the body's method is " + method);
      }
      return new Stateless(version);
    }
    if (Versions.isStateless(header)) {
      return new Reject(400, JsonRpc.INVALID_PARAMS, "Invalid params: MCP-Protocol-Version is " + header
          + " but params._meta lacks " + META_VERSION + " (and " + META_CAPABILITIES + ")");
    }
    return HANDSHAKE;
  }

  private static Route notification(RoutingContext ctx, String header, String method, Object params) {
    Map<?, ?> meta = meta(params);
    if (meta != null && meta.containsKey(META_VERSION)) {
      if (!(meta.get(META_VERSION) instanceof String version)) {
        return new Reject(400, JsonRpc.INVALID_PARAMS, "Invalid params: _meta." + META_VERSION + " must be a string");
      }
      if (header != null && !header.equals(version)) {
        return new Reject(400, JsonRpc.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version " + header
            + " but _meta names " + version);
      }
      return Versions.isStateless(version) ? new Stateless(version) : HANDSHAKE;
    }
    return Versions.isStateless(header) ? new Stateless(header) : HANDSHAKE;
  }

  static Map<?, ?> meta(Object params) {
    return params instanceof Map<?, ?> p && p.get("_meta") instanceof Map<?, ?> m ? m : null;
  }

  /**
   * A request header without surrounding whitespace, or null. Transports, "Case Sensitivity": names compare
   * case-insensitively (Vert.x headers do), values case-sensitively.
   */
  static String header(RoutingContext ctx, String name) {
    String v = ctx.request().getHeader(name);
    return v == null ? null : v.strip();
  }
}
