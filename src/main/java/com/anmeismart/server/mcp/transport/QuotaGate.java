package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.ToolRunner;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Quotas on the legacy HTTP+SSE transport's POSTs ({@code /mcp/message}). That transport acknowledges each POST
 * with 202 before the call runs and sends the answer on the event stream, so a refusal found by the call itself can
 * only travel there (as the JSON-RPC error -32000 with {@code data.retry_after_ms}). This gate asks first: a
 * {@code tools/call} the quota would refuse now is answered on the POST itself with HTTP 429, {@code Retry-After}
 * and the JSON-RPC error, and never reaches the session; anything else passes on untouched (a call admitted here can
 * still be refused by a concurrent one a moment later: then its answer on the stream says so).
 */
public final class QuotaGate implements Handler<RoutingContext> {

  private final ToolRunner runner;

  public QuotaGate(ToolRunner runner) {
    this.runner = runner;
  }

  @Override
  public void handle(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null; // the transport answers malformed bodies itself
    }
    if (body == null || !"tools/call".equals(body.getValue("method")) || !(body.getValue("params") instanceof
        JsonObject params) || !(params.getValue("name") instanceof String name) || McpAuth.group(ctx) == null) {
      ctx.next();
      return;
    }
    String caller = ctx.request().getHeader("X-Caller-Id");
    ToolRunner.Caller who = new ToolRunner.Caller(McpAuth.group(ctx).id(), ctx.request().getHeader("X-Context-Token"),
        caller == null ? "sse" : caller, McpAuth.keyUsed(ctx));
    ToolRunner.Outcome refused = runner.precheck(who, name, params.getValue("arguments") instanceof JsonObject a
        ? a : null);
    if (refused == null) {
      ctx.next();
    } else {
      Throttled.answer(ctx.response(), body.getValue("id"), refused.text(), refused.retryAfterMs());
    }
  }
}
