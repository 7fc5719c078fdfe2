package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import com.anmeismart.server.mcp.McpMetrics;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Streamable HTTP on a Vert.x router, both protocol eras on one endpoint. Each POST is classified by {@link Era}:
 * stateless-era requests (revision 2026-07-28) go to {@link StatelessHttp}; handshake-era messages (spec 2025-03-26
 * … 2025-11-25) to the SDK, this class being its transport provider: POST carries one JSON-RPC message, GET opens
 * the session's listening stream, DELETE ends the session. A session is bound to the key that opened it. All four
 * handshake-era versions are offered, so the SDK echoes whatever a client asks for (Dify rejects a server version
 * other than its own or 2024-11-05).
 *
 * <p>Any node serves any session ({@link SessionDirectory}): the node that answers {@code initialize} records what
 * the session is, and a node that gets a request for a session it does not hold builds its own copy from that
 * record (the SDK's session keeps no state between requests that this server uses: no sampling, roots or
 * elicitation requests to the client). A listening stream (GET) stays on the node it was opened on; every node
 * reloads the configuration when an admin changes it and tells the streams it holds ({@code list_changed}). DELETE
 * ends the session on every node ({@code mcp.session.ended}).
 */
public final class StreamableHttpTransport implements McpStreamableServerTransportProvider {

  private static final Logger LOG = LoggerFactory.getLogger(StreamableHttpTransport.class);
  static final String SESSION_HEADER = "Mcp-Session-Id";

  /** @param sharedAt when this node last put the session in the directory (refreshing its idle time there) */
  private record Entry(McpStreamableServerSession session, UUID groupId, String keyHash, long[] lastSeen,
                       Outgoing out, SessionDirectory.Shared shared, long[] sharedAt) implements SessionTable.Entry {
  }

  private final Vertx vertx;
  private final McpJsonMapper mapper;
  private final GroupRegistry registry;
  private final long keepAliveMs;
  private final SessionTable<Entry> sessions = new SessionTable<>();
  private final StatelessHttp stateless;
  private final McpMetrics metrics;
  private final SessionDirectory directory;
  private volatile McpStreamableServerSession.Factory factory;

  /** @param sessionIdleMs {@code MCP_SESSION_IDLE_SECONDS}: how long a session nobody uses is kept */
  public StreamableHttpTransport(Vertx vertx, McpJsonMapper mapper, GroupRegistry registry, long keepAliveMs,
                                 StatelessHttp stateless, McpMetrics metrics, long sessionIdleMs) {
    this.vertx = vertx;
    this.mapper = mapper;
    this.registry = registry;
    this.keepAliveMs = keepAliveMs;
    this.stateless = stateless;
    this.metrics = metrics;
    this.directory = new SessionDirectory(vertx, sessionIdleMs);
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
    session(ctx).onSuccess(entry -> {
      if (entry != null) {
        handle(ctx, entry, message, tctx, context);
      }
    });
  }

  /** One message of a session this node now holds (its own, or its copy of another node's). */
  private void handle(RoutingContext ctx, Entry entry, McpSchema.JSONRPCMessage message, McpTransportContext tctx,
                      Context context) {
    HttpServerResponse res = ctx.response();
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
    String initJson = Http.json(mapper, init);
    UUID group = McpAuth.group(ctx).id();
    String keyHash = McpAuth.keyHash(ctx);
    long now = System.currentTimeMillis();
    started.initResult().contextWrite(c -> c.put(McpTransportContext.KEY, tctx)).subscribe(
        result -> {
          // through the session's Outgoing: it learns the negotiated revision from this answer
          String json = Http.json(mapper, out.rewrite(McpSchema.JSONRPCResponse.result(req.id(), result)));
          SessionDirectory.Shared shared = new SessionDirectory.Shared(group, keyHash, out.version(), initJson);
          // recorded for every node before the client learns the id: its next request may reach any of them
          context.runOnContext(v -> directory.put(session.getId(), shared).onComplete(ar -> {
            if (ar.failed()) {
              LOG.warn("MCP session not shared with the other nodes, initialize refused: {}", ar.cause().toString());
              Http.rpcError(res, mapper, req.id(), JsonRpc.INTERNAL_ERROR, "initialize failed, try again");
              return;
            }
            sessions.put(session.getId(), new Entry(session, group, keyHash, new long[] {now}, out, shared,
                new long[] {now}));
            if (!res.ended() && !res.closed()) {
              res.setStatusCode(200).putHeader("Content-Type", "application/json")
                  .putHeader(SESSION_HEADER, session.getId()).end(json);
            }
          }));
        },
        t -> context.runOnContext(v -> Http.rpcError(res, mapper, req.id(), JsonRpc.INTERNAL_ERROR,
            "initialize failed")));
  }

  /** GET /mcp with a session: the listening stream (server → client notifications). */
  public void get(RoutingContext ctx) {
    if (!Http.accepts(ctx, "text/event-stream")) {
      JsonRpc.fail(ctx.response(), 406, JsonRpc.INVALID_REQUEST, "Not Acceptable: Accept must list text/event-stream");
      return;
    }
    Context context = vertx.getOrCreateContext();
    session(ctx).onSuccess(entry -> {
      if (entry != null) {
        listen(ctx, entry, context);
      }
    });
  }

  private void listen(RoutingContext ctx, Entry entry, Context context) {
    HttpStream stream = new HttpStream(vertx, context, ctx.response(), mapper, null, keepAliveMs, entry.out());
    stream.startSse();
    McpStreamableServerSession.McpStreamableServerSessionStream listening = entry.session().listeningStream(stream);
    ctx.response().closeHandler(v -> {
      listening.releaseTransport();
      entry.lastSeen()[0] = System.currentTimeMillis();
    });
  }

  /** DELETE /mcp: the client ends its session. */
  public void delete(RoutingContext ctx) {
    Context context = vertx.getOrCreateContext();
    String id = ctx.request().getHeader(SESSION_HEADER);
    session(ctx).onSuccess(entry -> {
      if (entry == null) {
        return;
      }
      sessions.remove(id);
      // gone for every node: out of the directory first (a copy made after this finds nothing), then each node
      // drops the copy it holds
      directory.remove(id).onComplete(ar -> vertx.eventBus().publish(Addresses.MCP_SESSION_ENDED, id));
      entry.session().delete().subscribe(null,
          t -> context.runOnContext(v -> ctx.response().setStatusCode(200).end()),
          () -> context.runOnContext(v -> ctx.response().setStatusCode(200).end()));
    });
  }

  /** Another node ended this session (its client sent DELETE there): this node's copy goes too. */
  public void ended(String id) {
    Entry entry = sessions.remove(id);
    if (entry != null) {
      entry.session().closeGracefully().subscribe(null, t -> { });
    }
  }

  /**
   * The request's session: the one this node holds, else a copy built from the directory (it was opened on
   * another node). Null after answering 400 (no id), 404 (unknown, ended, expired, another key's, or its key
   * rotated) or 503 (the directory could not be read).
   */
  private Future<Entry> session(RoutingContext ctx) {
    String id = ctx.request().getHeader(SESSION_HEADER);
    if (id == null || id.isBlank()) {
      JsonRpc.fail(ctx.response(), 400, JsonRpc.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
      return Future.succeededFuture();
    }
    // A session stays bound to the key that opened it: to any other key it does not exist.
    String keyHash = McpAuth.keyHash(ctx);
    Entry entry = sessions.get(id, keyHash);
    if (entry != null) {
      entry.lastSeen()[0] = System.currentTimeMillis();
      return Future.succeededFuture(entry);
    }
    return directory.get(id).map(shared -> {
      Entry copy = shared == null || !shared.keyHash().equals(keyHash)
          || !registry.stillValid(keyHash, shared.groupId()) ? null : copy(id, shared);
      if (copy == null) {
        JsonRpc.fail(ctx.response(), 404, JsonRpc.SERVER_ERROR, "Session not found");
      }
      return copy;
    }).otherwise(t -> {
      LOG.warn("MCP session {} could not be looked up: {}", id, t.toString());
      JsonRpc.fail(ctx.response(), 503, JsonRpc.SERVER_ERROR, "Session store unavailable, try again");
      return null;
    });
  }

  /** This node's copy of a session another node opened: the same client, capabilities and revision. */
  private Entry copy(String id, SessionDirectory.Shared shared) {
    McpSchema.InitializeRequest init;
    try {
      init = mapper.readValue(shared.initialize(), McpSchema.InitializeRequest.class);
    } catch (IOException | RuntimeException e) {
      LOG.warn("MCP session {} has an unreadable shared record: {}", id, e.toString());
      return null;
    }
    // the SDK's session for it; the initialize result it would produce is never asked for (a deferred Mono)
    McpStreamableServerSession session = factory.startSession(init).session();
    long now = System.currentTimeMillis();
    Entry copy = new Entry(session, shared.groupId(), shared.keyHash(), new long[] {now},
        new Outgoing(shared.version()), shared, new long[] {now});
    Entry earlier = sessions.putIfAbsent(id, copy);
    return earlier != null ? earlier : copy;
  }

  /**
   * Drops this node's sessions idle longer than {@code idleMs} (the shared record expires by itself after the same
   * time without use on any node) and ends those whose key was rotated or whose group was removed (on every node:
   * each sweeps its own). Sessions used here since the last sweep, or with a stream open here, are put in the
   * directory again, which restarts their idle time there.
   */
  public void sweep(long idleMs) {
    long now = System.currentTimeMillis();
    sessions.forEach((id, e) -> {
      boolean open = e.session().hasOpenStream();
      boolean idle = now - e.lastSeen()[0] > idleMs && !open;
      boolean invalid = !registry.stillValid(e.keyHash(), e.groupId());
      if (idle || invalid) {
        sessions.remove(id);
        e.session().closeGracefully().subscribe(null, t -> { });
        if (invalid) {
          directory.remove(id);
        }
      } else if (open || e.lastSeen()[0] > e.sharedAt()[0]) {
        e.sharedAt()[0] = now;
        directory.put(id, e.shared())
            .onFailure(t -> LOG.debug("MCP session {} not refreshed in the directory: {}", id, t.toString()));
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
