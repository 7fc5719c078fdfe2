package com.anmeismart.server.mcp;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ToolTestRequest;
import com.anmeismart.server.bus.ToolTestResult;
import com.anmeismart.server.mcp.tools.Tools;
import com.anmeismart.server.mcp.transport.McpAuth;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.mcp.transport.McpRoutes;
import com.anmeismart.server.mcp.transport.QuotaGate;
import com.anmeismart.server.mcp.transport.RestToolApi;
import com.anmeismart.server.mcp.transport.SseTransport;
import com.anmeismart.server.mcp.transport.StatelessHttp;
import com.anmeismart.server.mcp.transport.StreamableHttpTransport;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The MCP server on {@code MCP_PORT}: both protocol eras on {@code /mcp} — the handshake era through the official
 * Java SDK over our Vert.x transports (Streamable HTTP, legacy SSE on {@code /mcp/sse} and GET {@code /mcp}), the
 * stateless revision 2026-07-28 at our seam ({@link StatelessHttp}) — the REST pair, API-key tool groups from
 * PostgreSQL (kept in memory, reloaded when the admin API says so), the SPEC §6 tools.
 */
public final class McpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(McpVerticle.class);
  private static final long RELOAD_MS = 30_000;
  /** How often the live server processes are counted (a node joining widens nobody's share for longer). */
  private static final long NODES_MS = 5_000;
  private static final String LIST_CHANGED = "notifications/tools/list_changed";

  private final AppContext app;
  private GroupRegistry registry;
  private ToolRunner runner;
  private StreamableHttpTransport streamable;
  private SseTransport sse;
  private StatelessHttp stateless;
  private McpAsyncServer streamServer;
  private McpAsyncServer sseServer;
  private CallLog callLog;
  private McpMetrics metrics;

  public McpVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    Pool pool = app.database().pool(vertx);
    SecretBox box = new SecretBox(app.config().secretsKey());
    McpKeys keys = new McpKeys(pool, box);
    McpStore store = new McpStore(pool);
    registry = new GroupRegistry(store, keys);
    metrics = new McpMetrics(app.metrics());
    callLog = new CallLog(vertx, store::insertCallLogs, metrics);
    callLog.start();
    ContextTokens contextTokens = new ContextTokens(vertx, box);
    Quotas quotas = new Quotas();
    runner = new ToolRunner(vertx, registry, Tools.all(pool, vertx.eventBus(), box, app.config().timeZone()),
        contextTokens, callLog, metrics, quotas);
    McpJsonMapper mapper = McpJsonDefaults.getMapper();
    long keepAliveMs = app.config().mcpSseKeepAliveSeconds() * 1000L;
    Map<String, McpSchema.Tool> published = McpServers.published(runner.definitions());
    stateless = new StatelessHttp(vertx, mapper, runner, published, registry, keepAliveMs);
    long idleMs = app.config().mcpSessionIdleSeconds() * 1000L;
    streamable = new StreamableHttpTransport(vertx, mapper, registry, keepAliveMs, stateless, metrics, idleMs);
    sse = new SseTransport(vertx, mapper, registry, keepAliveMs);
    streamServer = McpServers.streamable(streamable, runner, published, McpServers::groupFromContext);
    sseServer = McpServers.sse(sse, runner, published, McpServers::groupFromContext);
    metrics.sessions("streamable_http", streamable::sessionCount);
    metrics.sessions("sse", sse::sessionCount);
    metrics.sessions("listen", stateless::listenCount);

    Router router = McpRoutes.router(vertx, new McpAuth(registry, metrics, app.config().mcpAllowedOrigins()),
        streamable, sse, new RestToolApi(runner, this::sessions), new QuotaGate(runner), app.config().mcpMaxBodyBytes());
    vertx.setPeriodic(RELOAD_MS, id -> reload());
    // each node enforces its share of every key's quota: the share follows the live server processes
    vertx.setPeriodic(NODES_MS, id -> countNodes(pool, quotas));
    countNodes(pool, quotas);
    vertx.setPeriodic(Math.max(1_000, Math.min(idleMs / 4, 30_000)), id -> streamable.sweep(idleMs));

    var changed = vertx.eventBus().consumer(Addresses.MCP_CONFIG_CHANGED, m -> reload());
    var ended = vertx.eventBus().<String>consumer(Addresses.MCP_SESSION_ENDED, m -> streamable.ended(m.body()));
    var sync = vertx.eventBus().localConsumer(Addresses.MCP_CONFIG_SYNC,
        m -> reload().onComplete(ar -> m.reply(null)));
    var status = vertx.eventBus().localConsumer(Addresses.MCP_STATUS,
        m -> m.reply(new JsonObject().put("groups", registry.all().size()).put("sessions", sessions())));
    // an administrator's test call: through the same guard as any client, logged under the admin's name
    var test = vertx.eventBus().<ToolTestRequest>localConsumer(Addresses.MCP_TOOL_TEST, m -> {
      ToolTestRequest req = m.body();
      String token = req.customerId() == null ? null : contextTokens.issue(req.customerId(), ContextTokens.DEFAULT_TTL);
      long t0 = System.nanoTime();
      runner.call(new ToolRunner.Caller(req.groupId(), token, req.caller()), req.toolName(), req.arguments())
          .onSuccess(o -> m.reply(new ToolTestResult(o.unknown(), o.error(), o.text(),
              (System.nanoTime() - t0) / 1_000_000)))
          .onFailure(t -> m.fail(500, t.getMessage()));
    });
    return store.ensureKeys(keys)
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("generated keys for {} MCP tool group(s); an admin can read them with the admin API", n);
          }
        })
        .compose(n -> registry.reload())
        .compose(loaded -> Future.join(List.of(changed.completion(), ended.completion(), sync.completion(),
            status.completion(), test.completion(),
            Servers.listen(vertx, vertx.createHttpServer(serverOptions()).requestHandler(router), "MCP_PORT",
                app.config().mcpPort()))));
  }

  /**
   * Connections quiet for {@code MCP_IDLE_TIMEOUT_SECONDS} are closed. Event streams stay open: their keep-alive
   * comments ({@code MCP_SSE_KEEPALIVE_SECONDS}, checked to be shorter) are traffic. A call answered as one JSON
   * body is quiet while its tool works, so tool timeouts are kept below it (the admin API refuses longer ones).
   */
  private HttpServerOptions serverOptions() {
    return new HttpServerOptions().setIdleTimeout(app.config().mcpIdleTimeoutSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
  }

  /** Reloads the groups and tools; sessions of groups whose tools changed hear about it, stale keys lose theirs. */
  private Future<Set<UUID>> reload() {
    return registry.reload().onSuccess(changed -> {
      Set<UUID> limited = new java.util.HashSet<>();
      registry.all().forEach(g -> {
        limited.add(g.id());
        g.tools().values().forEach(t -> limited.add(t.id()));
      });
      runner.quotas().retain(limited); // the buckets of deleted groups and tools go
      if (!changed.isEmpty()) {
        streamable.notifyGroups(changed, LIST_CHANGED);
        sse.notifyGroups(changed, LIST_CHANGED);
        stateless.notifyGroups(changed);
      }
      streamable.sweep(app.config().mcpSessionIdleSeconds() * 1000L);
      sse.sweep();
      stateless.sweep();
    }).onFailure(t -> LOG.warn("could not reload the MCP configuration: {}", t.getMessage()));
  }

  private static void countNodes(Pool pool, Quotas quotas) {
    pool.query(InstanceLock.LIVE_INSTANCES).execute()
        .onSuccess(rows -> quotas.shareAmong(rows.iterator().next().getInteger("n")))
        .onFailure(t -> LOG.debug("could not count the live server processes: {}", t.getMessage()));
  }

  private JsonObject sessions() {
    return new JsonObject().put("streamable_http", streamable.sessionCount()).put("sse", sse.sessionCount())
        .put("listen", stateless.listenCount());
  }

  @Override
  public Future<?> stop() {
    metrics.close();
    stateless.close();
    streamServer.closeGracefully().subscribe(null, t -> { });
    sseServer.closeGracefully().subscribe(null, t -> { });
    return callLog.close();
  }
}
