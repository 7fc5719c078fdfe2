package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.mcp.GroupRegistry;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.Set;
import java.util.UUID;

/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05) as an SDK transport provider: a GET opens the event stream,
 * whose first event names the (relative) URL to POST messages to; answers travel on the stream. Served on
 * {@code /mcp/sse} + {@code /mcp/message}, and on {@code GET /mcp} without a session (the PRD's Dify config points
 * an SSE transport at {@code /mcp}). A session is bound to the key that opened it and ends with its stream.
 *
 * <p>The stream lives on the node that opened it, and every answer must go out on it; a load balancer without
 * stickiness may send the client's POSTs anywhere. So the node holding the stream listens on the session's own
 * event-bus address ({@link Addresses#mcpSseSession}, cluster-wide), and a node that gets a POST for a session it
 * does not hold relays the message there: the holder checks the key, takes the message and answers with the
 * 202 the client gets.
 */
public final class SseTransport implements McpServerTransportProvider {

  static final String MESSAGE_PATH = "/mcp/message";

  private record Entry(McpServerSession session, HttpStream stream, UUID groupId, String keyHash,
                       MessageConsumer<JsonObject> relay) implements SessionTable.Entry {
  }

  /** How long a relaying node waits for the stream's node to take a message. */
  private static final long RELAY_TIMEOUT_MS = 10_000;

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
    MessageConsumer<JsonObject> relay = vertx.eventBus().consumer(Addresses.mcpSseSession(id), this::relayed);
    sessions.put(id, new Entry(session, stream, McpAuth.group(ctx).id(), McpAuth.keyHash(ctx), relay));
    stream.startSse();
    ctx.response().closeHandler(v -> {
      Entry gone = sessions.remove(id);
      if (gone != null) {
        gone.relay().unregister();
        session.close();
      }
    });
    // The endpoint once every node can relay to this stream (the client may POST through any of them at once).
    // Relative, so the client resolves it against the URL it used: same scheme and host, as Dify requires.
    relay.completion().onComplete(ar -> stream.event("endpoint", MESSAGE_PATH + "?sessionId=" + id));
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
    McpSchema.JSONRPCMessage message = Http.message(ctx, mapper);
    if (message == null) {
      return;
    }
    McpTransportContext tctx = McpAuth.context(ctx);
    Entry entry = sessions.get(id, McpAuth.keyHash(ctx));
    if (entry != null) {
      ctx.response().setStatusCode(202).end("Accepted");
      deliver(entry, message, tctx);
      return;
    }
    // not here: the stream may be on another node
    JsonObject relayed = new JsonObject().put("key_hash", McpAuth.keyHash(ctx))
        .put("message", Http.json(mapper, message)).put("group_id", McpAuth.group(ctx).id().toString())
        .put("context_token", (String) tctx.get(McpAuth.CTX_CONTEXT_TOKEN))
        .put("key_used", (String) tctx.get(McpAuth.CTX_KEY_USED))
        .put("caller", (String) tctx.get(McpAuth.CTX_CALLER));
    vertx.eventBus().request(Addresses.mcpSseSession(id), relayed,
            new DeliveryOptions().setSendTimeout(RELAY_TIMEOUT_MS))
        .onSuccess(reply -> ctx.response().setStatusCode(202).end("Accepted"))
        .onFailure(t -> {
          boolean unknown = t instanceof ReplyException r && (r.failureType() == ReplyFailure.NO_HANDLERS
              || r.failureCode() == 404);
          JsonRpc.fail(ctx.response(), unknown ? 404 : 503, JsonRpc.SERVER_ERROR,
              unknown ? "Session not found" : "The session's node did not answer, try again");
        });
  }

  /** A message another node received for a stream this node holds. */
  private void relayed(Message<JsonObject> msg) {
    JsonObject m = msg.body();
    String id = msg.address().substring(Addresses.mcpSseSession("").length());
    Entry entry = sessions.get(id, m.getString("key_hash"));
    if (entry == null) {
      msg.fail(404, "Session not found");
      return;
    }
    McpSchema.JSONRPCMessage message;
    try {
      message = McpSchema.deserializeJsonRpcMessage(mapper, m.getString("message"));
    } catch (IOException | RuntimeException e) {
      msg.fail(400, "unreadable message");
      return;
    }
    msg.reply(null);
    deliver(entry, message, McpAuth.context(UUID.fromString(m.getString("group_id")), m.getString("key_used"),
        m.getString("context_token"), m.getString("caller")));
  }

  /** A message for a session this node holds: the answer goes out on its stream. */
  private void deliver(Entry entry, McpSchema.JSONRPCMessage message, McpTransportContext tctx) {
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
    entry.session().handle(message).contextWrite(c -> c.put(McpTransportContext.KEY, tctx))
        .subscribe(null, t -> { });
  }

  /** Ends sessions whose key was rotated or whose group was removed. */
  public void sweep() {
    sessions.forEach((id, e) -> {
      if (!registry.stillValid(e.keyHash(), e.groupId())) {
        sessions.remove(id);
        e.relay().unregister();
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
