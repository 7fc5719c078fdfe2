package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.ToolRunner;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * A tool call refused by a quota (SPEC §11), as the HTTP transports answer it: HTTP 429 with {@code Retry-After}
 * (whole seconds) and, as the body, the JSON-RPC error of the request: code -32000 (the implementation-defined
 * server error range) with {@code data.retry_after_ms}.
 * <p>
 * Streamable HTTP (2025-11-25, "Sending Messages to the Server"): "If the input is a JSON-RPC request, the server
 * MUST either return Content-Type: text/event-stream ... or Content-Type: application/json, to return one JSON
 * object." The refusal is that one JSON object, with the request's id; the status says what it is, so a client that
 * only looks at HTTP statuses (the TypeScript SDK fails the request with "HTTP 429") and one that reads the JSON-RPC
 * error both stop at once, and neither waits. The handshake era's POSTs in a session get the same answer (the
 * transport sets the status when the SDK's answer is this error, see {@link HttpStream}); the stateless era's too.
 */
public final class Throttled {

  private Throttled() {
  }

  /** Whole seconds for {@code Retry-After}: at least 1 (the header has no fractions). */
  public static long retryAfterSeconds(long retryAfterMs) {
    return Math.max(1, (retryAfterMs + 999) / 1000);
  }

  /** Writes the refusal of request {@code id}: 429, {@code Retry-After}, the JSON-RPC error. */
  static void answer(HttpServerResponse res, Object id, String message, long retryAfterMs) {
    if (res.ended() || res.closed()) {
      return;
    }
    res.putHeader("Retry-After", Long.toString(retryAfterSeconds(retryAfterMs)));
    JsonRpc.fail(res, 429, id, ToolRunner.THROTTLED_CODE, message,
        new JsonObject().put(ToolRunner.RETRY_AFTER_MS, retryAfterMs));
  }

  /** The {@code retry_after_ms} of a JSON-RPC error that is a quota refusal, or -1 when it is another error. */
  static long retryAfterMs(Integer code, Object data) {
    if (code == null || code != ToolRunner.THROTTLED_CODE || !(data instanceof Map<?, ?> m)
        || !(m.get(ToolRunner.RETRY_AFTER_MS) instanceof Number n)) {
      return -1;
    }
    return n.longValue();
  }
}
