package com.anmeismart.server.mcp.transport;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * JSON-RPC 2.0 error codes (spec §5.1) and the error body our HTTP transports write when a request fails before the
 * SDK sees it (bad content type, malformed JSON, unknown session, …).
 */
public final class JsonRpc {

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;
  /** Implementation-defined server error range (-32000 to -32099): authentication and session problems. */
  public static final int SERVER_ERROR = -32000;
  /**
   * 2026-07-28 ("Overview", error codes): "-32020 to -32099 — reserved for the MCP specification": HeaderMismatch
   * (-32020), MissingRequiredClientCapability (-32021), UnsupportedProtocolVersion (-32022).
   */
  public static final int HEADER_MISMATCH = -32020;
  public static final int UNSUPPORTED_VERSION = -32022;

  private JsonRpc() {
  }

  /** Writes {@code {"jsonrpc":"2.0","id":null,"error":{code,message}}} with the HTTP status (if not yet ended). */
  public static void fail(HttpServerResponse res, int status, int code, String message) {
    fail(res, status, null, code, message, null);
  }

  /**
   * Writes a JSON-RPC error answering request {@code id} (null when it could not be read) with the HTTP status.
   * 2026-07-28, "Error Responses": they "MUST include the same ID as the request they correspond to".
   */
  public static void fail(HttpServerResponse res, int status, Object id, int code, String message, Object data) {
    if (res.ended() || res.closed()) {
      return;
    }
    if (status == 401) {
      res.putHeader("WWW-Authenticate", "Bearer");
    }
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (data != null) {
      error.put("data", data);
    }
    res.setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("jsonrpc", "2.0").put("id", id).put("error", error).toBuffer());
  }
}
