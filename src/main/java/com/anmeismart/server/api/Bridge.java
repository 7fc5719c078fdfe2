package com.anmeismart.server.api;

import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.notify.Presence;
import com.anmeismart.server.ops.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The SockJS event-bus bridge on {@code /eventbus} (SPEC §7), least privilege. Every register (and send) frame must
 * carry {@code Authorization: Bearer <jwt>} in its headers; the token is verified here, per frame, and the address
 * must be the caller's own: a consultant {@code client.consultant.<own id>} and {@code client.consultants}, a
 * customer {@code client.conversation.<a conversation they own>}, an admin or operator {@code client.admins} (the
 * console's alerts and counters; the account must still be active with that role). Nothing is
 * permitted inbound: pages act through the REST API. A refused frame gets the bridge's {@code err} frame
 * ({@code rejected}, or {@code access_denied} for an address outside the permitted patterns) and the socket stays
 * open, so a page can log in again and retry.
 *
 * <p>Presence: registering one's own consultant (or admin) address records the socket in {@link Presence};
 * unregistering it, closing the socket or the bridge's idle timeout (no ping) removes it. One instance per
 * HttpApiVerticle: a socket lives on one event loop, so the socket table here needs no locking.
 */
final class Bridge {

  private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);
  private static final DeliveryOptions HERE = new DeliveryOptions().setLocalOnly(true);
  private static final String UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  private record Caller(UUID id, String role, String username) {
  }


  private final Vertx vertx;
  private final JWTAuth auth;
  private final Presence presence;
  private final ConversationStore conversations;
  private final String node;
  /**
   * Sockets that registered their owner's own address → that address → its presence row. Usually one address per
   * socket; two when a page logs in as someone else on the same socket.
   */
  private final Map<SockJSSocket, Map<String, UUID>> online = new HashMap<>();

  /** Client-triggered refusals (malformed frames, bad tokens): a line a minute at most, no stack traces. */
  private final RateLimitedLog refusals = new RateLimitedLog(LOG, 60_000);
  private final long heartbeatMs;

  /**
   * @param idleTimeoutSeconds the HTTP server's idle timeout: SockJS heartbeats go out at half of it (at most every
   *                           25 s, SockJS's default), so no open transport (WebSocket, streaming, polling) ever
   *                           looks idle to the server
   */
  Bridge(Vertx vertx, JWTAuth auth, Presence presence, ConversationStore conversations, String node,
         int idleTimeoutSeconds) {
    this.heartbeatMs = Math.min(25_000L, idleTimeoutSeconds * 1000L / 2);
    this.vertx = vertx;
    this.auth = auth;
    this.presence = presence;
    this.conversations = conversations;
    this.node = node;
  }

  /** Mount with {@code router.route("/eventbus/*").subRouter(bridge.router())}. */
  Router router() {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("client\\.consultant\\." + UUID_RE))
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.CLIENT_CONSULTANTS))
        .addOutboundPermitted(new PermittedOptions().setAddressRegex("client\\.conversation\\." + UUID_RE))
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.CLIENT_ADMINS))
        .setMaxHandlersPerSocket(4);
    // JSONP (a fallback for browsers without XHR CORS, i.e. none the pages support) is off: one transport less that
    // takes frames as form fields
    Router sockJs = SockJSHandler.create(vertx, new SockJSHandlerOptions().setHeartbeatInterval(heartbeatMs)
            .addDisabledTransport(Transport.JSON_P.name()))
        .bridge(options, this::handle);
    Router router = Router.router(vertx);
    // SockJS's XHR fallbacks (xhr_streaming, xhr_polling, eventsource, htmlfile) POST their frames to xhr_send, and
    // its transport reads them from the body handler: without one every send failed ("No BodyHandler was executed")
    router.post().handler(BodyHandler.create(false).setBodyLimit(HttpApiVerticle.BODY_LIMIT));
    router.post("/:server/:session/xhr_send").handler(Bridge::checkSendBody);
    router.route("/*").subRouter(sockJs);
    return router;
  }

  /**
   * An xhr_send body is a JSON array of strings (SockJS frames). SockJS itself answers anything else with a 500
   * ("Broken JSON encoding.", its protocol's choice); it is the client's fault, so it is a 400 in the API's shape.
   * The page's SockJS client treats both alike (the session ends and it reconnects).
   */
  private static void checkSendBody(RoutingContext ctx) {
    String body = ctx.body().asString();
    boolean ok = false;
    if (body != null && !body.isBlank()) {
      try {
        ok = Json.decodeValue(body) instanceof JsonArray frames && frames.stream().allMatch(f -> f instanceof String);
      } catch (DecodeException e) {
        ok = false;
      }
    }
    if (ok) {
      ctx.next();
    } else {
      ctx.fail(ApiException.badRequest("invalid_frame", "An xhr_send body must be a JSON array of strings", null));
    }
  }

  /**
   * Every bridge event, guarded: a frame is client input of any shape ({@code headers} a string, {@code address}
   * an object …), so whatever goes wrong with one refuses that frame (the bridge answers with its {@code err}
   * frame, {@code rejected}) and costs at most a rate-limited log line, never an exception per frame.
   */
  private void handle(BridgeEvent event) {
    try {
      dispatch(event);
    } catch (RuntimeException e) {
      refusals.warn("bridge frame refused ({}): {}", event.type(), e);
      event.tryComplete(false);
    }
  }

  private void dispatch(BridgeEvent event) {
    switch (event.type()) {
      case REGISTER -> register(event);
      case REGISTERED -> {
        // the consumer exists now: tell the consultant's pages that this socket counts as online (and the console
        // pages that they are listening; a presence notice is all the others on client.admins get of it)
        String address = event.getRawMessage().getString("address");
        if (isOwn(event.socket(), address) && (address.startsWith(Addresses.CLIENT_CONSULTANT_PREFIX)
            || address.equals(Addresses.CLIENT_ADMINS))) {
          // to this node's listeners only: the socket is here, and on a cluster a publish right after a registration
          // goes by the node's view of the address's subscribers, which learns of this one a moment later
          vertx.eventBus().publish(address, new ClientEvent.Presence(true).toJson(), HERE);
        }
        event.complete(true);
      }
      case SEND, PUBLISH -> caller(event).onComplete(ar -> event.complete(ar.succeeded())); // then no inbound match
      case UNREGISTER -> {
        offline(event.socket(), event.getRawMessage().getString("address"));
        event.complete(true);
      }
      case SOCKET_CLOSED, SOCKET_ERROR -> {
        Map<String, UUID> rows = online.remove(event.socket());
        if (rows != null) {
          rows.values().forEach(this::disconnect);
        }
        event.complete(true);
        if (event.type() == BridgeEventType.SOCKET_ERROR) {
          // e.g. a message over the WebSocket size limit: the bridge has already forgotten this socket (its
          // registrations and ping state), and a frame on it afterwards would fail inside the bridge. Closed, so
          // the page reconnects and starts clean.
          refusals.warn("bridge socket closed after an error (from {}): {}", event.socket().remoteAddress(),
              event.getRawMessage() == null ? "" : event.getRawMessage().getString("message"));
          event.socket().close();
        }
      }
      default -> event.complete(true); // SOCKET_CREATED, SOCKET_PING, SOCKET_IDLE (the bridge closes it), RECEIVE
    }
  }

  private void register(BridgeEvent event) {
    String address = event.getRawMessage().getString("address", "");
    SockJSSocket socket = event.socket();
    caller(event)
        .compose(c -> {
          if (Roles.CONSULTANT.equals(c.role()) && address.equals(Addresses.clientConsultant(c.id()))) {
            return connect(socket, address, c, Roles.CONSULTANT);
          }
          if (Roles.CONSULTANT.equals(c.role()) && address.equals(Addresses.CLIENT_CONSULTANTS)) {
            return Future.succeededFuture(true);
          }
          if ((Roles.ADMIN.equals(c.role()) || Roles.OPERATOR.equals(c.role()))
              && address.equals(Addresses.CLIENT_ADMINS)) {
            return connect(socket, address, c, c.role()); // the console's live alerts and counters
          }
          if (Roles.CUSTOMER.equals(c.role()) && address.startsWith(Addresses.CLIENT_CONVERSATION_PREFIX)) {
            UUID conversation = uuid(address.substring(Addresses.CLIENT_CONVERSATION_PREFIX.length()));
            return conversation == null ? Future.succeededFuture(false) : conversations.owns(conversation, c.id());
          }
          return Future.succeededFuture(false);
        })
        .onComplete(ar -> {
          boolean ok = ar.succeeded() && ar.result();
          if (!ok) {
            LOG.debug("bridge register refused: address={}, reason={}", address,
                ar.failed() ? ar.cause().getMessage() : "not this caller's address");
          }
          event.complete(ok);
        });
  }

  /** Records the socket as online; false when the account is no longer an active user of that role. */
  private Future<Boolean> connect(SockJSSocket socket, String address, Caller c, String role) {
    UUID rowId = UUID.randomUUID();
    Map<String, UUID> rows = online.computeIfAbsent(socket, s -> new HashMap<>());
    UUID previous = rows.put(address, rowId);
    if (previous != null) {
      disconnect(previous); // the same address again (a refused-then-retried frame): one row is enough
    }
    return presence.connect(rowId, c.id(), node, role).onSuccess(ok -> {
      Map<String, UUID> now = online.get(socket);
      boolean current = now != null && rowId.equals(now.get(address));
      if (!ok) {
        if (current) {
          now.remove(address);
        }
      } else if (!current) {
        disconnect(rowId); // the socket closed (or unregistered) while its row was being written
      }
    });
  }

  private boolean isOwn(SockJSSocket socket, String address) {
    Map<String, UUID> rows = online.get(socket);
    return rows != null && address != null && rows.containsKey(address);
  }

  private void offline(SockJSSocket socket, String address) {
    Map<String, UUID> rows = online.get(socket);
    UUID rowId = rows == null || address == null ? null : rows.remove(address);
    if (rowId != null) {
      disconnect(rowId);
    }
  }

  private void disconnect(UUID rowId) {
    presence.disconnect(rowId).onFailure(t -> LOG.warn("presence of a closed socket not removed (it expires): {}",
        t.getMessage()));
  }

  /** The verified caller of a frame, from its {@code Authorization: Bearer} header. */
  private Future<Caller> caller(BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    Object headers = raw == null ? null : raw.getValue("headers");
    if (headers != null && !(headers instanceof JsonObject)) {
      refusals.warn("bridge frame refused: its headers are a {}, not an object (from {})",
          headers.getClass().getSimpleName(), event.socket().remoteAddress());
      return Future.failedFuture("frame headers are not an object");
    }
    Object value = headers == null ? null : ((JsonObject) headers).getValue("Authorization");
    String header = value instanceof String h ? h : null;
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture("no bearer token in the frame headers");
    }
    return auth.authenticate(new TokenCredentials(header.substring(7).trim())).compose(this::caller);
  }

  private Future<Caller> caller(User user) {
    UUID id = uuid(user.get("sub"));
    Object role = user.get("role");
    Object username = user.get("username");
    return id == null || role == null ? Future.failedFuture("token without subject or role")
        : Future.succeededFuture(new Caller(id, role.toString(), username == null ? null : username.toString()));
  }

  private static UUID uuid(Object s) {
    try {
      return s == null ? null : UUID.fromString(s.toString());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** This node's sockets: kept fresh while it runs, removed when it stops. */
  Future<Void> heartbeat() {
    return presence.heartbeat(node);
  }

  Future<Void> stop() {
    online.clear();
    return presence.clearNode(node);
  }
}
