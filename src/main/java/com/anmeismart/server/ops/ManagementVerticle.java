package com.anmeismart.server.ops;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.bus.Addresses;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;

/**
 * The management port ({@code MANAGEMENT_PORT}): {@code /health} (the process answers), {@code /ready} (it can do
 * its job: PostgreSQL reachable, and whatever the other parts report), {@code /metrics} (Prometheus text).
 * Kept off the public API port so it can stay firewalled.
 */
public final class ManagementVerticle extends VerticleBase {

  private static final long CHECK_TIMEOUT_MS = 2_000;

  private final AppContext app;

  public ManagementVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    Pool pool = app.database().pool(vertx);
    HealthChecks ready = HealthChecks.create(vertx);
    ready.register("database", CHECK_TIMEOUT_MS, promise -> pool.query("SELECT 1").execute()
        .onSuccess(rows -> promise.complete(Status.OK(new JsonObject().put("embedded", app.database().isEmbedded()))))
        .onFailure(t -> promise.complete(Status.KO(new JsonObject().put("error", t.getMessage())))));
    // The MCP server answers on the bus once its groups are loaded and its port is bound.
    ready.register("mcp", CHECK_TIMEOUT_MS, promise -> vertx.eventBus().<JsonObject>request(Addresses.MCP_STATUS, null,
            new DeliveryOptions().setSendTimeout(CHECK_TIMEOUT_MS))
        .onSuccess(reply -> promise.complete(Status.OK(reply.body())))
        .onFailure(t -> promise.complete(Status.KO(new JsonObject().put("error", t.getMessage())))));

    // this process's instance lock (db/InstanceLock): while it is being taken again, no job or escalation is claimed
    ready.register("instance", CHECK_TIMEOUT_MS, promise -> app.database().instanceLock(vertx)
        .onSuccess(lock -> {
          JsonObject data = new JsonObject().put("number", lock.number()).put("lock_held", lock.held());
          promise.complete(lock.held() ? Status.OK(data) : Status.KO(data));
        })
        .onFailure(t -> promise.complete(Status.KO(new JsonObject().put("error", t.getMessage())))));

    // the Dify gateway's breakers: reported, not a reason to be unready (welcomes fall back to the template)
    ready.register("dify", CHECK_TIMEOUT_MS, promise -> vertx.eventBus().<JsonObject>request(Addresses.DIFY_STATUS, null)
        .onSuccess(reply -> promise.complete(Status.OK(reply.body())))
        .onFailure(t -> promise.complete(Status.KO(new JsonObject().put("error", t.getMessage())))));

    // SPEC §10: {"id":"cluster","status":"UP","data":{"members":N,…}}; a single process is a cluster of one. DOWN
    // once this node is no longer an active member (it left, or Hazelcast stopped under it)
    ready.register("cluster", CHECK_TIMEOUT_MS, promise -> {
      JsonObject data = app.node().view();
      promise.complete(app.node().active() ? Status.OK(data) : Status.KO(data));
    });

    // the WeCom channel (token obtainable or not, or off): reported, never a reason to be unready (Web Push and the
    // pages still alert)
    ready.register("wecom", CHECK_TIMEOUT_MS, promise -> vertx.eventBus().<JsonObject>request(Addresses.WECOM_STATUS,
            null, new DeliveryOptions().setSendTimeout(CHECK_TIMEOUT_MS))
        .onSuccess(reply -> promise.complete(Status.OK(reply.body())))
        .onFailure(t -> promise.complete(Status.OK(new JsonObject().put("token", "unknown")
            .put("error", t.getMessage())))));

    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
    router.get("/metrics").handler(PrometheusScrapingHandler.create((PrometheusMeterRegistry) app.metrics()));

    return Servers.listen(vertx, vertx.createHttpServer().requestHandler(router), "MANAGEMENT_PORT",
        app.config().managementPort());
  }
}
