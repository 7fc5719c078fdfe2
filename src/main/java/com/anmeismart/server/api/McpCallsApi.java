package com.anmeismart.server.api;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ToolTestRequest;
import com.anmeismart.server.bus.ToolTestResult;
import com.anmeismart.server.mcp.McpStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * The console's view of MCP calls (SPEC §9): {@code GET /admin/mcp/calls}, the call log with filters, and
 * {@code POST /admin/mcp/tools/{id}/test}, an administrator's test call of a tool, run by the MCP server.
 */
final class McpCallsApi {

  private static final JsonBodies TEST = JsonBodies.schema("mcp-tool-test");
  /** Longer than any tool's timeout (at most 300 s by the schema of mcp_tools), so the tool's own timeout answers. */
  private static final long TEST_TIMEOUT_MS = 310_000;

  private final McpStore store;
  private final EventBus bus;

  McpCallsApi(McpStore store, EventBus bus) {
    this.store = store;
    this.bus = bus;
  }

  /**
   * GET /admin/mcp/calls?tool=&group_id=&success=&from=&to=&customer_id=&before=&limit= → the call log, newest
   * first, with the customer of each context-token call by display name; {@code next_before} pages on.
   */
  void calls(RoutingContext ctx) {
    String tool = Params.text(ctx, "tool", 100);
    Instant from = Params.instant(ctx, "from");
    Instant to = Params.instant(ctx, "to");
    String before = ctx.queryParams().get("before");
    long cursor;
    try {
      cursor = before == null || before.isEmpty() ? 0 : Long.parseLong(before);
    } catch (NumberFormatException e) {
      cursor = -1;
    }
    if (cursor < 0) {
      throw ApiException.badRequest("invalid_parameter", "Invalid query parameter before",
          FieldErrors.of("before", "must be a call-log id (a positive integer)", "须为调用日志编号（正整数）"));
    }
    McpStore.CallFilter filter = new McpStore.CallFilter(tool, queryUuid(ctx, "group_id"), Params.bool(ctx, "success"),
        from == null ? null : from.atOffset(ZoneOffset.UTC), to == null ? null : to.atOffset(ZoneOffset.UTC),
        queryUuid(ctx, "customer_id"), cursor == 0 ? null : cursor);
    store.calls(filter, Params.integer(ctx, "limit", 50, 1, 200)).onSuccess(page -> Responses.json(ctx, 200, page))
        .onFailure(ctx::fail);
  }

  /**
   * POST /admin/mcp/tools/{id}/test {arguments?, customer_id?} → {tool, group, is_error, unknown, result | error,
   * duration_ms}: the MCP server runs the tool row's tool as a call of its group, through the same guard as any
   * client (enabled flag, argument schema, context token, timeout), and logs it under the admin's name. With
   * {@code customer_id} the call carries a context token for that customer, as the welcome agent's calls do.
   */
  void testCall(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    JsonObject body = TEST.validBody(ctx);
    JsonObject arguments = body.getJsonObject("arguments", new JsonObject());
    String customer = body.getString("customer_id");
    String caller = "admin:" + Access.username(ctx);
    store.tool(id)
        .compose(found -> {
          JsonObject tool = found.orElseThrow(() -> ApiException.notFound("MCP tool"));
          ToolTestRequest req = new ToolTestRequest(UUID.fromString(tool.getString("group_id")),
              tool.getString("tool_name"), arguments, customer == null ? null : UUID.fromString(customer), caller);
          return bus.<ToolTestResult>request(Addresses.MCP_TOOL_TEST, req,
                  new DeliveryOptions().setSendTimeout(TEST_TIMEOUT_MS))
              .recover(t -> Future.failedFuture(new ApiException(503, "mcp_unavailable",
                  "The MCP server did not answer: " + t.getMessage())))
              .map(reply -> {
                ToolTestResult r = reply.body();
                JsonObject out = new JsonObject().put("tool", tool.getString("tool_name"))
                    .put("group", tool.getString("group_name")).put("unknown", r.unknown()).put("is_error", r.error())
                    .put("duration_ms", r.durationMs());
                if (r.unknown()) {
                  return out.put("error", "unknown tool: the tool is disabled or not in this group");
                }
                return r.error() ? out.put("error", r.text()) : out.put("result", parsed(r.text()));
              });
        })
        .onSuccess(out -> Responses.json(ctx, 200, out))
        .onFailure(ctx::fail);
  }

  private static Object parsed(String text) {
    try {
      return Json.decodeValue(text);
    } catch (RuntimeException e) {
      return text;
    }
  }

  private static UUID queryUuid(RoutingContext ctx, String name) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_parameter", "Invalid query parameter " + name,
          FieldErrors.of(name, "must be a UUID", "须为 UUID"));
    }
  }

}
