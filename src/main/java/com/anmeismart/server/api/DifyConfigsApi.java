package com.anmeismart.server.api;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.dify.DifyConfig;
import com.anmeismart.server.dify.DifyConfigStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * {@code /dify/configs}: the Dify apps the gateway may call. The app key is write-only (responses show its last
 * four characters); every change is applied by the gateway at once.
 */
final class DifyConfigsApi {

  private static final JsonBodies BODY = JsonBodies.schema("dify-config");

  private final DifyConfigStore store;
  private final EventBus bus;

  DifyConfigsApi(DifyConfigStore store, EventBus bus) {
    this.store = store;
    this.bus = bus;
  }

  void list(RoutingContext ctx) {
    store.list().onSuccess(configs -> Responses.json(ctx, 200, new JsonObject()
        .put("items", new JsonArray(configs.stream().map(DifyConfig::toJson).toList())))).onFailure(ctx::fail);
  }

  void create(RoutingContext ctx) {
    JsonObject body = BODY.validBody(ctx);
    FieldErrors missing = new FieldErrors();
    for (String field : new String[] {"name", "base_url", "api_key"}) {
      if (body.getValue(field) == null) {
        missing.add(field, "is required", "必填");
      }
    }
    if (!missing.isEmpty()) {
      throw ApiException.invalid(missing);
    }
    DifyConfig config = merged(null, body);
    store.create(config, Access.actor(ctx))
        .onSuccess(created -> {
          changed();
          Responses.json(ctx, 201, created.toJson());
        })
        .onFailure(t -> ctx.fail(nameTaken(t)));
  }

  /** PUT: the fields given replace the current ones; {@code api_key} only when given. */
  void update(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    JsonObject body = BODY.validBody(ctx);
    store.get(id)
        .compose(current -> {
          if (current.isEmpty()) {
            return Future.failedFuture(ApiException.notFound("Dify config"));
          }
          return store.update(merged(current.get(), body), Access.actor(ctx));
        })
        .onSuccess(updated -> {
          if (updated.isEmpty()) {
            ctx.fail(ApiException.notFound("Dify config")); // deleted meanwhile
            return;
          }
          changed();
          Responses.json(ctx, 200, updated.get().toJson());
        })
        .onFailure(t -> ctx.fail(nameTaken(t)));
  }

  void delete(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    store.delete(id, Access.actor(ctx)).onSuccess(deleted -> {
      if (!deleted) {
        ctx.fail(ApiException.notFound("Dify config"));
        return;
      }
      changed();
      ctx.response().setStatusCode(204).end();
    }).onFailure(ctx::fail);
  }

  /** GET /dify/configs/{id}/health: {@code GET /v1/info} with the app key, through the gateway. */
  void health(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    store.get(id)
        .compose(config -> config.isEmpty() ? Future.failedFuture(ApiException.notFound("Dify config"))
            : bus.<JsonObject>request(Addresses.DIFY_PROBE, id.toString(), new DeliveryOptions().setSendTimeout(15_000)))
        .onSuccess(reply -> Responses.json(ctx, 200, reply.body()))
        .onFailure(ctx::fail);
  }

  private void changed() {
    bus.publish(Addresses.DIFY_CONFIGS_CHANGED, null);
  }

  /** The current config (or the defaults) with the body's fields applied, checked as a whole. */
  private static DifyConfig merged(DifyConfig c, JsonObject b) {
    String mode = b.getString("mode", c == null ? "agent" : c.mode());
    String responseMode = b.getString("response_mode", c == null ? "streaming" : c.responseMode());
    if ("agent".equals(mode) && "blocking".equals(responseMode)) {
      throw ApiException.invalid("response_mode", "agent apps answer in streaming mode only (Dify refuses blocking)",
          "Agent 应用只支持流式模式（streaming），Dify 不接受 blocking");
    }
    return new DifyConfig(c == null ? null : c.id(),
        b.getString("name", c == null ? null : c.name()).strip(),
        b.getString("purpose", c == null ? "welcome" : c.purpose()),
        DifyConfig.normaliseBaseUrl(b.getString("base_url", c == null ? null : c.baseUrl())),
        b.containsKey("app_id") ? b.getString("app_id") : (c == null ? null : c.appId()),
        b.getString("api_key", c == null ? null : c.apiKey()),
        mode, responseMode,
        b.getString("version", c == null ? "1" : c.version()),
        b.getInteger("weight", c == null ? 100 : c.weight()),
        b.getBoolean("enabled", c == null || c.enabled()),
        b.getInteger("timeout_ms", c == null ? 30_000 : c.timeoutMs()),
        null, null);
  }

  private static Throwable nameTaken(Throwable t) {
    if (t instanceof DifyConfigStore.DuplicateNameException) {
      return ApiException.conflictOn("name_taken", "Another Dify config has this name",
          FieldErrors.of("name", "is already used", "该名称已被使用"));
    }
    return t;
  }
}
