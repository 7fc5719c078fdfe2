package com.anmeismart.server.api;

import com.anmeismart.server.mcp.McpKeys;
import com.anmeismart.server.mcp.McpStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * {@code /mcp/groups}, {@code /mcp/tools} and {@code /admin/mcp/metrics} (SPEC §3): tool groups, their keys (shown
 * on creation, rotation and the audited view endpoint only), tool rows, call figures. Every change is audit-logged
 * with it in one transaction, and answered only once this process's MCP server has reloaded, so it is in force for
 * the next MCP request; other processes reload on the published event.
 */
final class McpAdminApi {

  private static final JsonBodies CREATE = JsonBodies.schema("mcp-group-create");
  private static final JsonBodies UPDATE = JsonBodies.schema("mcp-group-update");
  private static final JsonBodies TOOL = JsonBodies.schema("mcp-tool-update");
  private static final JsonBodies ROTATE = JsonBodies.schema("mcp-key-rotate");

  private final McpStore store;
  private final McpKeys keys;
  private final EventBus bus;
  /** {@code MCP_IDLE_TIMEOUT_SECONDS}: a tool may not work longer than its caller's connection may stay quiet. */
  private final int mcpIdleTimeoutSeconds;
  /** {@code MCP_KEY_GRACE_SECONDS}: how long a rotated key keeps working when the rotation names no grace. */
  private final int keyGraceSeconds;

  McpAdminApi(McpStore store, McpKeys keys, EventBus bus, int mcpIdleTimeoutSeconds, int keyGraceSeconds) {
    this.store = store;
    this.keys = keys;
    this.bus = bus;
    this.mcpIdleTimeoutSeconds = mcpIdleTimeoutSeconds;
    this.keyGraceSeconds = keyGraceSeconds;
  }

  /**
   * GET /mcp/groups → every group with its tools, quota and the previous key's grace and last use (never a key);
   * {@code key_grace_default_seconds} is what a rotation without a body grants (the console's default).
   */
  void listGroups(RoutingContext ctx) {
    store.listGroups().onSuccess(groups -> Responses.json(ctx, 200, new JsonObject().put("items", groups)
            .put("key_grace_default_seconds", keyGraceSeconds)))
        .onFailure(ctx::fail);
  }

  /** POST /mcp/groups → 201 the group and its new key (shown here and by the key endpoint only). */
  void createGroup(RoutingContext ctx) {
    JsonObject body = CREATE.validBody(ctx);
    McpKeys.Sealed key = keys.seal(McpKeys.generate());
    store.createGroup(change(body), key, Access.actor(ctx))
        .compose(group -> applied().map(group.put("api_key", key.plain())))
        .onSuccess(group -> Responses.json(ctx, 201, group))
        .onFailure(t -> ctx.fail(mapped(t)));
  }

  /** PUT /mcp/groups/{id} → the group; disabling one refuses its key with 403 from the next request on. */
  void updateGroup(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    JsonObject body = UPDATE.validBody(ctx);
    store.updateGroup(id, change(body), Access.actor(ctx))
        .compose(group -> applied().map(group))
        // thrown in map, not in onSuccess: there nothing would answer the request (found by OpenApiIT: it hung)
        .map(group -> group.orElseThrow(() -> ApiException.notFound("MCP group")))
        .onSuccess(group -> Responses.json(ctx, 200, group))
        .onFailure(t -> ctx.fail(mapped(t)));
  }

  /** DELETE /mcp/groups/{id} → 204; its tools go with it, its key stops working. */
  void deleteGroup(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    store.deleteGroup(id, Access.actor(ctx))
        .compose(deleted -> applied().map(deleted))
        .onSuccess(deleted -> {
          if (!deleted) {
            ctx.fail(ApiException.notFound("MCP group"));
          } else {
            ctx.response().setStatusCode(204).end();
          }
        })
        .onFailure(ctx::fail);
  }

  /** GET /mcp/groups/{id}/api-key → the decrypted key; audit-logged. */
  void viewKey(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    store.viewKey(id, Access.actor(ctx)).onSuccess(enc -> {
      if (enc.isEmpty()) {
        ctx.fail(ApiException.notFound("MCP group key"));
      } else {
        Responses.json(ctx, 200, new JsonObject().put("group_id", id.toString())
            .put("api_key", keys.decrypt(enc.get())));
      }
    }).onFailure(ctx::fail);
  }

  /**
   * POST /mcp/groups/{id}/regenerate-key, optional body {@code {grace_seconds}} (0–86,400, default
   * {@code MCP_KEY_GRACE_SECONDS}) → {@code {api_key, previous_key_valid_until}}: the old key keeps working until
   * then (null for 0: it is refused from the next request on, the choice for a leaked key).
   */
  void rotateKey(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    JsonObject body = RequestGuard.json(ctx) == null ? new JsonObject() : ROTATE.validBody(ctx);
    int grace = body.getInteger("grace_seconds", keyGraceSeconds);
    McpKeys.Sealed key = keys.seal(McpKeys.generate());
    store.rotateKey(id, key, grace, Access.actor(ctx))
        .compose(done -> applied().map(done))
        .onSuccess(done -> {
          if (done.isEmpty()) {
            ctx.fail(ApiException.notFound("MCP group"));
          } else {
            Responses.json(ctx, 200, new JsonObject().put("group_id", id.toString()).put("api_key", key.plain())
                .put("rotated_at", Instant.now().toString()).put("grace_seconds", grace)
                .put("previous_key_valid_until", done.get().map(Instant::toString).orElse(null)));
          }
        })
        .onFailure(ctx::fail);
  }

  /**
   * POST /mcp/groups/{id}/revoke-previous-key → {@code {revoked, previous_key_valid_until: null}}: the rotated key
   * is refused from the next request on, on every transport, and its open sessions end (every node, on the reload).
   * {@code revoked} is false when no previous key was valid (nothing changes then).
   */
  void revokePreviousKey(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    store.revokePreviousKey(id, Access.actor(ctx))
        .compose(done -> applied().map(done))
        .onSuccess(done -> {
          if (done.isEmpty()) {
            ctx.fail(ApiException.notFound("MCP group"));
          } else {
            Responses.json(ctx, 200, new JsonObject().put("group_id", id.toString()).put("revoked", done.get())
                .put("previous_key_valid_until", (String) null));
          }
        })
        .onFailure(ctx::fail);
  }

  /** GET /mcp/tools?group_id= → tool rows, of one group or all. */
  void listTools(RoutingContext ctx) {
    String group = ctx.queryParams().get("group_id");
    UUID groupId = null;
    if (group != null && !group.isEmpty()) {
      try {
        groupId = UUID.fromString(group);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_parameter", "Invalid query parameter group_id",
            FieldErrors.of("group_id", "must be a UUID", "须为工具组的 ID（UUID）"));
      }
    }
    store.listTools(groupId).onSuccess(tools -> Responses.json(ctx, 200, new JsonObject().put("items", tools)))
        .onFailure(ctx::fail);
  }

  /** PUT /mcp/tools/{id} → the tool row: enabled, group (a move), timeout, description, config; in force at once. */
  void updateTool(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    JsonObject body = TOOL.validBody(ctx);
    Integer timeout = body.getInteger("timeout_seconds");
    if (timeout != null && timeout >= mcpIdleTimeoutSeconds) {
      // a call answered as one JSON body sends nothing while the tool works: the MCP port would close it first
      throw ApiException.invalid("timeout_seconds", "must be below MCP_IDLE_TIMEOUT_SECONDS ("
          + mcpIdleTimeoutSeconds + ")", "须小于 MCP 连接空闲超时（" + mcpIdleTimeoutSeconds + " 秒）");
    }
    String group = body.getString("group_id");
    McpStore.ToolChange change = new McpStore.ToolChange(group == null ? null : UUID.fromString(group),
        body.getBoolean("enabled"), body.getInteger("timeout_seconds"), body.getString("description"),
        body.getJsonObject("config_data"), quota(body));
    store.updateTool(id, change, Access.actor(ctx))
        .compose(tool -> applied().map(tool))
        .map(tool -> tool.orElseThrow(() -> ApiException.notFound("MCP tool")))
        .onSuccess(tool -> Responses.json(ctx, 200, tool))
        .onFailure(t -> ctx.fail(mapped(t)));
  }

  /** GET /admin/mcp/metrics?hours=24 → per tool: calls, errors, error rate, average, p50, p95, max (from the log). */
  void metrics(RoutingContext ctx) {
    int hours = Params.integer(ctx, "hours", 24, 1, 24 * 90);
    store.metrics(hours).onSuccess(tools -> {
      long calls = 0;
      long errors = 0;
      for (Object o : tools) {
        calls += ((JsonObject) o).getLong("calls");
        errors += ((JsonObject) o).getLong("errors");
      }
      Responses.json(ctx, 200, new JsonObject().put("hours", hours).put("total_calls", calls)
          .put("total_errors", errors).put("error_rate", calls == 0 ? 0.0 : (double) errors / calls)
          .put("tools", tools));
    }).onFailure(ctx::fail);
  }

  /** In force (this process's MCP server reloaded) for the next request; see {@link McpStore#announce}. */
  private Future<Void> applied() {
    return McpStore.announce(bus);
  }

  private static McpStore.GroupChange change(JsonObject body) {
    JsonArray roles = body.getJsonArray("allowed_roles");
    List<String> list = roles == null ? null : roles.stream().map(String::valueOf).toList();
    return new McpStore.GroupChange(body.getString("name"), body.getString("description"), body.getBoolean("enabled"),
        body.getString("user_tier"), list, body.getBoolean("requires_context_token"), quota(body));
  }

  /** The quota fields the body names (null given = unlimited; not given = unchanged). */
  private static McpStore.QuotaChange quota(JsonObject body) {
    Number rate = (Number) body.getValue("rate_per_second");
    return new McpStore.QuotaChange(body.containsKey("rate_per_second"), rate == null ? null : rate.doubleValue(),
        body.containsKey("burst"), body.getInteger("burst"), body.containsKey("max_concurrent"),
        body.getInteger("max_concurrent"));
  }

  private static Throwable mapped(Throwable t) {
    if (t instanceof McpStore.ConflictException c) {
      return ApiException.conflict("conflict", c.getMessage(), null);
    }
    if (t instanceof McpStore.BurstWithoutRateException) {
      return ApiException.invalid("burst", "needs rate_per_second (a burst is the size of a rate's bucket)",
          "须同时设置每秒速率（突发量是速率桶的容量）");
    }
    if (t instanceof IllegalArgumentException) {
      return ApiException.invalid("group_id", "names no group", "没有这个工具组");
    }
    return t;
  }
}
