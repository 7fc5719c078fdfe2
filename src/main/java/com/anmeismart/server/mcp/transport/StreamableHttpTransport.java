package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import com.anmeismart.server.mcp.McpMetrics;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Streamable HTTP on a Vert.x router, both protocol eras on one endpoint. Each POST is classified by {@link Era}:
 * stateless-era requests (revision 2026-07-28) go to {@link StatelessHttp}; handshake-era messages (spec 2025-03-26
 * … 2025-11-25) to the SDK, this class being its transport provider: POST carries one JSON-RPC message, GET opens
 * the session's listening stream, DELETE ends the session. Sessions live in memory and are bound to the key that
 * opened them. All four handshake-era versions are offered, so the SDK echoes whatever a client asks for (Dify
 * rejects a server version other than its own or 2024-11-05).
 */
public final class StreamableHttpTransport implements McpStreamableServerTransportProvider {

  private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpTransport.class);
  static final String SESSION_HEADER = "Mcp-Session-Id";

  private record Entry(McpStreamableServerSession session, UUID groupId, String keyHash, long[] lastSeen,
                       Outgoing out) implements SessionTable.Entry {
  }

  private final Vertx vertx;
  private final McpJsonMapper mapper;
  private final GroupRegistry registry;
  private final long keepAliveMs;
  private final SessionTable<Entry> sessions = new SessionTable<>();
  private final StatelessHttp stateless;
  private final McpMetrics metrics;
  private volatile McpStreamableServerSession.Factory factory;

  public StreamableHttpTransport(Vertx vertx, McpJsonMapper mapper, GroupRegistry registry, long keepAliveMs,
                                 StatelessHttp stateless, McpMetrics metrics) {
    this.vertx = vertx;
    this.mapper = mapper;
    this.registry = registry;
    this.keepAliveMs = keepAliveMs;
    this.stateless = stateless;
    this.metrics = metrics;
  }

  @Override
  public void setSessionFactory(McpStreamableServerSession.Factory sessionFactory) {
    this.factory = sessionFactory;
  }

  @Override
  public List<String> protocolVersions() {
    return Versions.HANDSHAKE;
  }

  public int sessionCount() {
    return sessions.size();
  }

  /** POST /mcp: one JSON-RPC message. */
  public void post(RoutingContext ctx) {
    HttpServerResponse res = ctx.response();
    if (!Http.isJson(ctx)) {
      JsonRpc.fail(res, 415, JsonRpc.INVALID_REQUEST, "Content-Type must be application/json");
      return;
    }
    // Spec: the client MUST list both application/json and text/event-stream in Accept.
    if (!Http.accepts(ctx, "application/json") || !Http.accepts(ctx, "text/event-stream")) {
      JsonRpc.fail(res, 406, JsonRpc.INVALID_REQUEST,
          "Not Acceptable: Accept must list both application/json and text/event-stream");
      return;
    }
    McpSchema.JSONRPCMessage message = Http.message(ctx, mapper);
    if (message == null) {
      return; // Http.message answered 400
    }
    Era.Route route = Era.of(ctx, message);
    if (route instanceof Era.Reject r) {
      JsonRpc.fail(res, r.status(), message instanceof McpSchema.JSONRPCRequest q ? q.id() : null, r.code(),
          r.message(), null);
      return;
    }
    if (route instanceof Era.Stateless s) {
      metrics.request("stateless");
      stateless.handle(ctx, message, s.version());
      return;
    }
    metrics.request("handshake");
    String version = Era.header(ctx, Era.VERSION_HEADER);
    if (version != null && !Versions.HANDSHAKE.contains(version)) {
      // Spec 2025-11-25: an invalid or unsupported MCP-Protocol-Version → 400 (absent: assume 2025-03-26).
      JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, "Unsupported MCP-Protocol-Version: " + version);
      return;
    }
    McpTransportContext tctx = McpAuth.context(ctx);
    Context context = vertx.getOrCreateContext();
    if (message instanceof McpSchema.JSONRPCRequest req && McpSchema.METHOD_INITIALIZE.equals(req.method())) {
      initialize(ctx, req, tctx);
      return;
    }
    Entry entry = session(ctx);
    if (entry == null) {
      return;
    }
    if (message instanceof McpSchema.JSONRPCRequest req) {
      String problem = RequestCheck.problem(req);
      if (problem != null) {
        JsonRpc.fail(res, 200, req.id(), JsonRpc.INVALID_PARAMS, problem, null);
        return;
      }
      HttpStream stream = new HttpStream(vertx, context, res, mapper, req.id(), keepAliveMs, entry.out());
      McpStreamableServerSession.McpStreamableServerSessionStream rs = entry.session().responseStream(stream);
      res.closeHandler(v -> rs.releaseTransport());
      rs.handle(req).contextWrite(c -> c.put(McpTransportContext.KEY, tctx)).subscribe(null, t -> {
        LOG.warn("MCP request {} failed: {}", req.method(), t.toString());
        context.runOnContext(v -> JsonRpc.fail(res, 500, JsonRpc.INTERNAL_ERROR, "Internal error"));
      });
      return;
    }
    if (message instanceof McpSchema.JSONRPCNotification n) {
      // Spec: "If the input is a JSON-RPC response or notification: If the server accepts the input, the server MUST
      // return HTTP status code 202 Accepted with no body." At once: what the SDK does with a notification is its
      // business, and may take long (see accept).
      res.setStatusCode(202).end();
      accept(entry, n, tctx);
      return;
    }
    entry.session().accept((McpSchema.JSONRPCResponse) message).contextWrite(c -> c.put(McpTransportContext.KEY, tctx))
        .subscribe(null,
            t -> context.runOnContext(v -> JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST,
                "Bad Request: no request of this session waits for this response")),
            () -> context.runOnContext(v -> {
              if (!res.ended()) {
                res.setStatusCode(202).end();
              }
            }));
  }

  /**
   * Hands a notification to the session, if the SDK does something with it: only notifications/initialized. The SDK
   * answers roots/list_changed by asking the client for its roots over the listening stream and waiting up to its
   * request timeout (60 s) for the answer (this server uses no roots: a pending request per notification for
   * nothing, and the POST used to wait for it), and it logs a warning for every other one (cancelled, progress …).
   */
  private static void accept(Entry entry, McpSchema.JSONRPCNotification n, McpTransportContext tctx) {
    if (!McpSchema.METHOD_NOTIFICATION_INITIALIZED.equals(n.method())) {
      return;
    }
    entry.session().accept(n).contextWrite(c -> c.put(McpTransportContext.KEY, tctx))
        .subscribe(null, t -> LOG.debug("MCP notification {} failed: {}", n.method(), t.toString()));
  }

  private void initialize(RoutingContext ctx, McpSchema.JSONRPCRequest req, McpTransportContext tctx) {
    HttpServerResponse res = ctx.response();
    Context context = vertx.getOrCreateContext();
    String problem = RequestCheck.problem(req);
    McpSchema.InitializeRequest init = null;
    if (problem == null) {
      try {
        init = mapper.convertValue(req.params(), new TypeRef<McpSchema.InitializeRequest>() { });
      } catch (RuntimeException e) {
        problem = "Invalid params: initialize needs protocolVersion, capabilities and clientInfo";
      }
    }
    if (init == null) {
      Http.rpcError(res, mapper, req.id(), JsonRpc.INVALID_PARAMS, problem);
      return;
    }
    McpStreamableServerSession.McpStreamableServerSessionInit started = factory.startSession(init);
    McpStreamableServerSession session = started.session();
    Outgoing out = new Outgoing(null);
    sessions.put(session.getId(), new Entry(session, McpAuth.group(ctx).id(), McpAuth.keyHash(ctx),
        new long[] {System.currentTimeMillis()}, out));
    started.initResult().contextWrite(c -> c.put(McpTransportContext.KEY, tctx)).subscribe(
        result -> {
          // through the session's Outgoing: it learns the negotiated revision from this answer
          String json = Http.json(mapper, out.rewrite(McpSchema.JSONRPCResponse.result(req.id(), result)));
          context.runOnContext(v -> {
            if (!res.ended() && !res.closed()) {
              res.setStatusCode(200).putHeader("Content-Type", "application/json")
                  .putHeader(SESSION_HEADER, session.getId()).end(json);
            }
          });
        },
        t -> {
          sessions.remove(session.getId());
          context.runOnContext(v -> Http.rpcError(res, mapper, req.id(), JsonRpc.INTERNAL_ERROR,
              "initialize failed"));
        });
  }

  /** GET /mcp with a session: the listening stream (server → client notifications). */
  public void get(RoutingContext ctx) {
    if (!Http.accepts(ctx, "text/event-stream")) {
      JsonRpc.fail(ctx.response(), 406, JsonRpc.INVALID_REQUEST, "Not Acceptable: Accept must list text/event-stream");
      return;
    }
    Entry entry = session(ctx);
    if (entry == null) {
      return;
    }
    HttpStream stream = new HttpStream(vertx, vertx.getOrCreateContext(), ctx.response(), mapper, null, keepAliveMs,
        entry.out());
    stream.startSse();
    McpStreamableServerSession.McpStreamableServerSessionStream listening = entry.session().listeningStream(stream);
    ctx.response().closeHandler(v -> {
      listening.releaseTransport();
      entry.lastSeen()[0] = System.currentTimeMillis();
    });
  }

  /** DELETE /mcp: the client ends its session. */
  public void delete(RoutingContext ctx) {
    Entry entry = session(ctx);
    if (entry == null) {
      return;
    }
    Context context = vertx.getOrCreateContext();
    sessions.remove(entry.session().getId());
    entry.session().delete().subscribe(null,
        t -> context.runOnContext(v -> ctx.response().setStatusCode(200).end()),
        () -> context.runOnContext(v -> ctx.response().setStatusCode(200).end()));
  }

  /** The request's session, or null after answering 400 (no id) or 404 (unknown, expired or another key's). */
  private Entry session(RoutingContext ctx) {
    String id = ctx.request().getHeader(SESSION_HEADER);
    if (id == null || id.isBlank()) {
      JsonRpc.fail(ctx.response(), 400, JsonRpc.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
      return null;
    }
    // A session stays bound to the key that opened it: to any other key it does not exist.
    Entry entry = sessions.get(id, McpAuth.keyHash(ctx));
    if (entry == null) {
      JsonRpc.fail(ctx.response(), 404, JsonRpc.SERVER_ERROR, "Session not found");
      return null;
    }
    entry.lastSeen()[0] = System.currentTimeMillis();
    return entry;
  }

  /** Ends sessions idle longer than {@code idleMs} and those whose key was rotated or whose group was removed. */
  public void sweep(long idleMs) {
    long now = System.currentTimeMillis();
    sessions.forEach((id, e) -> {
      boolean idle = now - e.lastSeen()[0] > idleMs && !e.session().hasOpenStream();
      if (idle || !registry.stillValid(e.keyHash(), e.groupId())) {
        sessions.remove(id);
        e.session().closeGracefully().subscribe(null, t -> { });
      }
    });
  }

  /** Tells the open sessions of these groups that their tool list changed. */
  public void notifyGroups(Set<UUID> groups, String method) {
    sessions.notifyGroups(groups, method);
  }

  @Override
  public Mono<Void> notifyClients(String method, Object params) {
    return sessions.notifyAll(method, params);
  }

  @Override
  public Mono<Void> notifyClient(String sessionId, String method, Object params) {
    return sessions.notifyOne(sessionId, method, params);
  }

  @Override
  public Mono<Void> closeGracefully() {
    return sessions.closeAll();
  }
}
