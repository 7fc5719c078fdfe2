package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.ProtocolVersions;
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
 * Streamable HTTP (spec 2025-03-26 … 2025-11-25, "Transports") on a Vert.x router, as an SDK transport provider:
 * POST carries one JSON-RPC message, GET opens the session's listening stream, DELETE ends the session. Sessions
 * live in memory and are bound to the key that opened them. All four protocol versions are offered, so the SDK
 * echoes whatever a client asks for (Dify rejects a server version other than its own or 2024-11-05).
 */
public final class StreamableHttpTransport implements McpStreamableServerTransportProvider {

  private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpTransport.class);
  static final String SESSION_HEADER = "Mcp-Session-Id";
  private static final String VERSION_HEADER = "MCP-Protocol-Version";
  private static final List<String> VERSIONS = List.of(ProtocolVersions.MCP_2024_11_05,
      ProtocolVersions.MCP_2025_03_26, ProtocolVersions.MCP_2025_06_18, ProtocolVersions.MCP_2025_11_25);

  private record Entry(McpStreamableServerSession session, UUID groupId, String keyHash, long[] lastSeen)
      implements SessionTable.Entry {
  }

  private final Vertx vertx;
  private final McpJsonMapper mapper;
  private final GroupRegistry registry;
  private final long keepAliveMs;
  private final SessionTable<Entry> sessions = new SessionTable<>();
  private volatile McpStreamableServerSession.Factory factory;

  public StreamableHttpTransport(Vertx vertx, McpJsonMapper mapper, GroupRegistry registry, long keepAliveMs) {
    this.vertx = vertx;
    this.mapper = mapper;
    this.registry = registry;
    this.keepAliveMs = keepAliveMs;
  }

  @Override
  public void setSessionFactory(McpStreamableServerSession.Factory sessionFactory) {
    this.factory = sessionFactory;
  }

  @Override
  public List<String> protocolVersions() {
    return VERSIONS;
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
    String version = ctx.request().getHeader(VERSION_HEADER);
    if (version != null && !VERSIONS.contains(version)) {
      // Spec: an invalid or unsupported MCP-Protocol-Version → 400 (absent: assume 2025-03-26).
      JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, "Unsupported MCP-Protocol-Version: " + version);
      return;
    }
    McpSchema.JSONRPCMessage message = Http.message(ctx, mapper);
    if (message == null) {
      return; // Http.message answered 400
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
      HttpStream stream = new HttpStream(vertx, context, res, mapper, req.id(), keepAliveMs);
      McpStreamableServerSession.McpStreamableServerSessionStream rs = entry.session().responseStream(stream);
      res.closeHandler(v -> rs.releaseTransport());
      rs.handle(req).contextWrite(c -> c.put(McpTransportContext.KEY, tctx)).subscribe(null, t -> {
        LOG.warn("MCP request {} failed: {}", req.method(), t.toString());
        context.runOnContext(v -> JsonRpc.fail(res, 500, JsonRpc.INTERNAL_ERROR, "Internal error"));
      });
      return;
    }
    Mono<Void> accepted = message instanceof McpSchema.JSONRPCNotification n ? entry.session().accept(n)
        : entry.session().accept((McpSchema.JSONRPCResponse) message);
    // Spec: a notification or response that the server accepts → 202 Accepted, no body.
    accepted.contextWrite(c -> c.put(McpTransportContext.KEY, tctx)).subscribe(null,
        t -> context.runOnContext(v -> JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, t.getMessage())),
        () -> context.runOnContext(v -> {
          if (!res.ended()) {
            res.setStatusCode(202).end();
          }
        }));
  }

  private void initialize(RoutingContext ctx, McpSchema.JSONRPCRequest req, McpTransportContext tctx) {
    HttpServerResponse res = ctx.response();
    Context context = vertx.getOrCreateContext();
    McpSchema.InitializeRequest init;
    try {
      init = mapper.convertValue(req.params(), new TypeRef<McpSchema.InitializeRequest>() { });
    } catch (RuntimeException e) {
      init = null;
    }
    if (init == null || init.protocolVersion() == null) {
      Http.rpcError(res, mapper, req.id(), JsonRpc.INVALID_PARAMS, "initialize needs params with protocolVersion");
      return;
    }
    McpStreamableServerSession.McpStreamableServerSessionInit started = factory.startSession(init);
    McpStreamableServerSession session = started.session();
    sessions.put(session.getId(), new Entry(session, McpAuth.group(ctx).id(), McpAuth.keyHash(ctx),
        new long[] {System.currentTimeMillis()}));
    started.initResult().contextWrite(c -> c.put(McpTransportContext.KEY, tctx)).subscribe(
        result -> {
          String json = Http.json(mapper, McpSchema.JSONRPCResponse.result(req.id(), result));
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
    HttpStream stream = new HttpStream(vertx, vertx.getOrCreateContext(), ctx.response(), mapper, null, keepAliveMs);
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
