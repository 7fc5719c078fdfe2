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

  private JsonRpc() {
  }

  /** Writes {@code {"jsonrpc":"2.0","id":null,"error":{code,message}}} with the HTTP status (if not yet ended). */
  public static void fail(HttpServerResponse res, int status, int code, String message) {
    if (res.ended() || res.closed()) {
      return;
    }
    if (status == 401) {
      res.putHeader("WWW-Authenticate", "Bearer");
    }
    res.setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("jsonrpc", "2.0").putNull("id")
            .put("error", new JsonObject().put("code", code).put("message", message)).toBuffer());
  }
}
