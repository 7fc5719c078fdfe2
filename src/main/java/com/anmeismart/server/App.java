package com.anmeismart.server;

import com.anmeismart.server.accounts.AdminBootstrap;
import com.anmeismart.server.accounts.PasswordHasher;
import com.anmeismart.server.api.HttpApiVerticle;
import com.anmeismart.server.automation.AutomationVerticle;
import com.anmeismart.server.bus.BusCodecs;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.config.ConfigLoader;
import com.anmeismart.server.config.LocalSecrets;
import com.anmeismart.server.dashboard.LiveCountersVerticle;
import com.anmeismart.server.db.Database;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.dify.DifyGatewayVerticle;
import com.anmeismart.server.dify.LocalAgentVerticle;
import com.anmeismart.server.mcp.McpVerticle;
import com.anmeismart.server.notify.NotificationVerticle;
import com.anmeismart.server.ops.LogFormat;
import com.anmeismart.server.ops.ManagementVerticle;
import com.anmeismart.server.ops.StartBanner;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * One running server: Vert.x with Micrometer metrics, the database (migrated), and the verticles, deployed so that
 * the parts others depend on listen first and the public API opens last. Any failure stops what was started and
 * fails the returned future with the reason.
 */
public final class App {

  private static final Logger LOG = LoggerFactory.getLogger(App.class);

  private final Vertx vertx;
  private final AppContext context;
  /** Name → how to deploy it and its current deployment id, in deployment order. */
  private final Map<String, Part> parts = new LinkedHashMap<>();

  private static final class Part {
    final Supplier<Deployable> verticle;
    final int instances;
    String deploymentId;

    Part(Supplier<Deployable> verticle, int instances) {
      this.verticle = verticle;
      this.instances = instances;
    }
  }

  private App(Vertx vertx, AppContext context) {
    this.vertx = vertx;
    this.context = context;
  }

  /**
   * @param confFile  the JSON config file, or null for {@code conf/config.json} when present
   * @param overrides values above env and file (tests), or null
   */
  public static Future<App> start(Path confFile, JsonObject overrides) {
    long t0 = System.nanoTime();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setJvmMetricsEnabled(true).addLabels(Label.HTTP_ROUTE, Label.EB_FAILURE)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    List<Database> opened = new ArrayList<>(1);
    // libargon2 loads on a worker while the database starts (both take a few hundred ms)
    Future<Object> hashing = vertx.executeBlocking(() -> {
      PasswordHasher.loadNative();
      return null;
    }, false);
    Future<App> started = ConfigLoader.load(vertx, confFile, overrides)
        .compose(config -> vertx.executeBlocking(() -> {
          AppConfig resolved = LocalSecrets.resolve(config);
          LogFormat.apply(resolved.logFormat());
          LOG.info("configuration: {}", resolved.describe());
          Database database = Database.open(resolved);
          opened.add(database);
          database.migrate();
          return new AppContext(resolved, database, registry);
        }))
        .compose(ctx -> hashing.map(ctx))
        .compose(ctx -> {
          BusCodecs.register(vertx);
          // opened here, outside any verticle, the shared pools live as long as Vert.x: a part undeployed on its
          // own (a graceful engine stop) can't close connections another part, or its own stop(), still uses
          ctx.database().pool(vertx);
          ctx.database().redoablePool(vertx);
          App app = new App(vertx, ctx);
          // taken before the engine starts, so every lease it stamps names a live instance
          return ctx.database().instanceLock(vertx)
              .compose(lock -> AdminBootstrap.ensure(vertx, ctx))
              .compose(v -> app.deployAll()).map(app);
        })
        .onSuccess(app -> {
          LOG.info("ready in {} ms, ports {}", (System.nanoTime() - t0) / 1_000_000, app.ports());
          StartBanner.log(app.context().config(), app.ports());
        });
    // The clean-up runs off Vert.x: callbacks bound to an event loop would never run once Vert.x is closed.
    return Future.fromCompletionStage(started.toCompletionStage().toCompletableFuture()
        .exceptionallyCompose(t -> CompletableFuture.runAsync(() -> {
          vertx.close().toCompletionStage().toCompletableFuture().join();
          opened.forEach(Database::close);
        }).handle((v, closeFailure) -> {
          throw new CompletionException(t);
        })))
        .recover(t -> Future.failedFuture(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t));
  }

  private Future<Void> deployAll() {
    parts.put("NotificationVerticle", new Part(() -> new NotificationVerticle(context), 1));
    parts.put("McpVerticle", new Part(() -> new McpVerticle(context), 1));
    parts.put("LocalAgentVerticle", new Part(() -> new LocalAgentVerticle(context), 1));
    parts.put("DifyGatewayVerticle", new Part(() -> new DifyGatewayVerticle(context), 1));
    parts.put("AutomationVerticle", new Part(() -> new AutomationVerticle(context), 1));
    parts.put("LiveCountersVerticle", new Part(() -> new LiveCountersVerticle(context), 1));
    parts.put("HttpApiVerticle", new Part(() -> new HttpApiVerticle(context), context.config().httpInstances()));
    parts.put("ManagementVerticle", new Part(() -> new ManagementVerticle(context), 1));
    Future<Void> chain = Future.succeededFuture();
    for (String name : parts.keySet()) {
      chain = chain.compose(v -> deploy(name));
    }
    return chain;
  }

  /** Deploys one part (again) after {@link #undeploy}; a part that is running stays as it is. */
  public Future<Void> deploy(String name) {
    Part part = part(name);
    if (part.deploymentId != null) {
      return Future.succeededFuture();
    }
    return vertx.deployVerticle(part.verticle, new DeploymentOptions().setInstances(part.instances))
        .recover(t -> Future.failedFuture(new IllegalStateException(name + " failed to start: " + t.getMessage(), t)))
        .map(id -> {
          part.deploymentId = id;
          return null;
        });
  }

  /** Stops one part (gracefully: its {@code stop()} runs), leaving the rest running. */
  public Future<Void> undeploy(String name) {
    Part part = part(name);
    if (part.deploymentId == null) {
      return Future.succeededFuture();
    }
    String id = part.deploymentId;
    part.deploymentId = null;
    return vertx.undeploy(id);
  }

  private Part part(String name) {
    Part part = parts.get(name);
    if (part == null) {
      throw new IllegalArgumentException("no part named " + name + "; parts are " + parts.keySet());
    }
    return part;
  }

  /** The ports actually bound, by setting name ({@code HTTP_PORT}, …). */
  public Map<String, Integer> ports() {
    return Map.copyOf(Servers.ports(vertx));
  }

  public int port(String key) {
    Integer port = Servers.ports(vertx).get(key);
    if (port == null) {
      throw new IllegalStateException(key + " is not bound");
    }
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  public AppContext context() {
    return context;
  }

  /**
   * Undeploys the parts one by one in reverse order (the public API closes first, the parts others depend on last),
   * then closes Vert.x, then stops the embedded database. Each part's {@code stop()} still has the shared pools:
   * closing Vert.x directly would close them while the parts stop (the MCP call log's last rows were lost so).
   */
  public Future<Void> stop() {
    List<String> names = new ArrayList<>(parts.keySet());
    Collections.reverse(names);
    Future<Void> undeployed = Future.succeededFuture();
    for (String name : names) {
      undeployed = undeployed.eventually(() -> undeploy(name)
          .onFailure(t -> LOG.warn("{} did not stop cleanly: {}", name, t.getMessage())));
    }
    // a plain thread: stopping the embedded server blocks, and no Vert.x thread is left to call back on
    // the instance lock goes last: the engine's stop has handed its unfinished jobs back by then
    undeployed = undeployed.eventually(() -> context.database().instanceLock(vertx).compose(InstanceLock::close));
    return undeployed.transform(ar -> Future.fromCompletionStage(CompletableFuture.runAsync(() -> {
      vertx.close().toCompletionStage().toCompletableFuture().join();
      context.database().close();
    })));
  }
}
