package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import reactor.core.publisher.Mono;

import java.util.Set;
import java.util.UUID;

/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05) as an SDK transport provider: a GET opens the event stream,
 * whose first event names the (relative) URL to POST messages to; answers travel on the stream. Served on
 * {@code /mcp/sse} + {@code /mcp/message}, and on {@code GET /mcp} without a session (the PRD's Dify config points
 * an SSE transport at {@code /mcp}). A session is bound to the key that opened it and ends with its stream.
 */
public final class SseTransport implements McpServerTransportProvider {

  static final String MESSAGE_PATH = "/mcp/message";

  private record Entry(McpServerSession session, HttpStream stream, UUID groupId, String keyHash)
      implements SessionTable.Entry {
  }

  private final Vertx vertx;
  private final McpJsonMapper mapper;
  private final GroupRegistry registry;
  private final long keepAliveMs;
  private final SessionTable<Entry> sessions = new SessionTable<>();
  private volatile McpServerSession.Factory factory;

  public SseTransport(Vertx vertx, McpJsonMapper mapper, GroupRegistry registry, long keepAliveMs) {
    this.vertx = vertx;
    this.mapper = mapper;
    this.registry = registry;
    this.keepAliveMs = keepAliveMs;
  }

  @Override
  public void setSessionFactory(McpServerSession.Factory sessionFactory) {
    this.factory = sessionFactory;
  }

  public int sessionCount() {
    return sessions.size();
  }

  /** GET: opens the stream and sends the {@code endpoint} event first (Dify waits at most 1 s for it). */
  public void connect(RoutingContext ctx) {
    if (!Http.accepts(ctx, "text/event-stream")) {
      JsonRpc.fail(ctx.response(), 406, JsonRpc.INVALID_REQUEST, "Not Acceptable: Accept must list text/event-stream");
      return;
    }
    Context context = vertx.getOrCreateContext();
    HttpStream stream = new HttpStream(vertx, context, ctx.response(), mapper, null, keepAliveMs, new Outgoing(null));
    McpServerSession session = factory.create(stream);
    String id = session.getId();
    sessions.put(id, new Entry(session, stream, McpAuth.group(ctx).id(), McpAuth.keyHash(ctx)));
    stream.startSse();
    // Relative, so the client resolves it against the URL it used: same scheme and host, as Dify requires.
    stream.event("endpoint", MESSAGE_PATH + "?sessionId=" + id);
    ctx.response().closeHandler(v -> {
      if (sessions.remove(id) != null) {
        session.close();
      }
    });
  }

  /** POST /mcp/message?sessionId=…: one message for the session; the answer goes out on its stream. */
  public void message(RoutingContext ctx) {
    if (!Http.isJson(ctx)) {
      JsonRpc.fail(ctx.response(), 415, JsonRpc.INVALID_REQUEST, "Content-Type must be application/json");
      return;
    }
    String id = ctx.request().getParam("sessionId");
    if (id == null || id.isBlank()) {
      JsonRpc.fail(ctx.response(), 400, JsonRpc.INVALID_REQUEST, "Bad Request: sessionId is required");
      return;
    }
    Entry entry = sessions.get(id, McpAuth.keyHash(ctx));
    if (entry == null) {
      JsonRpc.fail(ctx.response(), 404, JsonRpc.SERVER_ERROR, "Session not found");
      return;
    }
    McpSchema.JSONRPCMessage message = Http.message(ctx, mapper);
    if (message == null) {
      return;
    }
    ctx.response().setStatusCode(202).end("Accepted");
    if (message instanceof McpSchema.JSONRPCRequest req && RequestCheck.problem(req) != null) {
      // the answer travels on the stream, like every answer of this transport
      entry.stream().sendMessage(McpSchema.JSONRPCResponse.error(req.id(), new McpSchema.JSONRPCResponse.JSONRPCError(
          JsonRpc.INVALID_PARAMS, RequestCheck.problem(req), null))).subscribe(null, t -> { });
      return;
    }
    if (message instanceof McpSchema.JSONRPCNotification n
        && !McpSchema.METHOD_NOTIFICATION_INITIALIZED.equals(n.method())) {
      return; // as on Streamable HTTP (see its accept): the SDK needs initialized only
    }
    McpTransportContext tctx = McpAuth.context(ctx);
    entry.session().handle(message).contextWrite(c -> c.put(McpTransportContext.KEY, tctx))
        .subscribe(null, t -> { });
  }

  /** Ends sessions whose key was rotated or whose group was removed. */
  public void sweep() {
    sessions.forEach((id, e) -> {
      if (!registry.stillValid(e.keyHash(), e.groupId())) {
        sessions.remove(id);
        e.session().close();
        e.stream().close();
      }
    });
  }

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
