package com.anmeismart.server.api;

import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ChatMessage;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.chat.ConversationStore;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /conversations}: the caller's conversations, their messages ({@code ?after=} cursor = message {@code seq}),
 * sending a chat message, and the consultants' claim. New messages go out live on
 * {@code client.conversation.<id>} and to the claiming consultant's own address.
 */
final class ConversationsApi {

  private static final JsonBodies MESSAGE = JsonBodies.schema("chat-message");
  private static final Set<String> STATUSES = Set.of("open", "claimed", "closed");

  private final ConversationStore store;
  private final EventBus bus;

  ConversationsApi(ConversationStore store, EventBus bus) {
    this.store = store;
    this.bus = bus;
  }

  /** GET /conversations?status=&limit=&offset= → own (customer), claimed or new (consultant), all (admin). */
  void list(RoutingContext ctx) {
    String role = readerRole(ctx);
    String status = Params.oneOf(ctx, "status", STATUSES);
    int limit = Params.integer(ctx, "limit", 50, 1, 200);
    int offset = Params.integer(ctx, "offset", 0, 0, 1_000_000);
    store.list(role, Access.userId(ctx), status, limit, offset)
        .onSuccess(page -> Responses.json(ctx, 200, page)).onFailure(ctx::fail);
  }

  /** GET /conversations/{id}/messages?after=&limit= → {items, next_after}, oldest first. */
  void messages(RoutingContext ctx) {
    String role = readerRole(ctx);
    UUID id = Params.uuid(ctx, "id");
    long after = Params.integer(ctx, "after", 0, 0, Integer.MAX_VALUE);
    int limit = Params.integer(ctx, "limit", 100, 1, 500);
    UUID caller = Access.userId(ctx);
    store.get(id)
        .compose(found -> {
          JsonObject c = found.orElseThrow(() -> ApiException.notFound("Conversation"));
          if (!mayRead(c, caller, role)) {
            throw ApiException.forbidden("Not a participant of this conversation");
          }
          return store.messages(id, after, limit);
        })
        .onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)
            .put("next_after", items.isEmpty() ? after : items.getJsonObject(items.size() - 1).getLong("seq"))))
        .onFailure(ctx::fail);
  }

  /** POST /conversations/{id}/messages {content} → 201 message, published live. */
  void send(RoutingContext ctx) {
    String role = Access.role(ctx);
    String senderType = Roles.CUSTOMER.equals(role) ? "customer" : Roles.CONSULTANT.equals(role) ? "consultant" : null;
    if (senderType == null) { // the role, before any lookup: no other role ever writes here (OpenAPI x-roles)
      throw ApiException.forbidden("Only the customer and the consultant who claimed it can write here");
    }
    UUID id = Params.uuid(ctx, "id");
    String content = MESSAGE.validBody(ctx).getString("content").strip();
    if (content.isEmpty()) {
      throw ApiException.invalid("content", "must not be blank", "不能为空");
    }
    UUID caller = Access.userId(ctx);
    store.get(id)
        .compose(found -> {
          JsonObject c = found.orElseThrow(() -> ApiException.notFound("Conversation"));
          if (!mayWrite(c, caller)) {
            throw ApiException.forbidden("Only the customer and the consultant who claimed it can write here");
          }
          return store.send(id, caller, senderType, content).map(sent -> {
            ChatMessage message = sent.orElseThrow(() -> ApiException.conflict("conversation_changed",
                "The conversation changed (claimed by someone else or closed)", null));
            ClientEvent event = new ClientEvent.Message(message);
            event.publish(bus, Addresses.clientConversation(id));
            JsonObject consultant = c.getJsonObject("consultant");
            if (consultant != null) {
              event.publish(bus, Addresses.clientConsultant(consultant.getString("id")));
            }
            return message.toJson();
          });
        })
        .onSuccess(message -> Responses.json(ctx, 201, message))
        .onFailure(ctx::fail);
  }

  /** POST /conversations/{id}/claim → 200 the conversation; 409 when someone else (or you) claimed it first. */
  void claim(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    UUID caller = Access.userId(ctx);
    String username = ctx.user().get("username");
    store.claim(id, caller)
        .compose(won -> store.get(id).map(found -> {
          JsonObject c = found.orElseThrow(() -> ApiException.notFound("Conversation"));
          if (!won) {
            JsonObject by = c.getJsonObject("consultant");
            throw ApiException.conflict("already_claimed", by == null
                ? "This conversation can't be claimed (" + c.getString("status") + ")"
                : "Already claimed by " + by.getString("username"), new JsonObject().put("status", c.getString("status"))
                .put("consultant", by));
          }
          String at = c.getString("claimed_at");
          ClientEvent claimed = new ClientEvent.Claimed(id, caller, username, at == null ? null : Instant.parse(at));
          claimed.publish(bus, Addresses.CLIENT_CONSULTANTS);
          claimed.publish(bus, Addresses.clientConversation(id));
          return c;
        }))
        .onSuccess(c -> Responses.json(ctx, 200, c))
        .onFailure(ctx::fail);
  }

  /** The caller's role when it may read conversations at all (before any lookup: OpenAPI x-roles); 403 otherwise. */
  private static String readerRole(RoutingContext ctx) {
    String role = Access.role(ctx);
    if (!Set.of(Roles.CUSTOMER, Roles.CONSULTANT, Roles.ADMIN).contains(role)) {
      throw ApiException.forbidden("Conversations are for customers, consultants and admins");
    }
    return role;
  }

  /** Customers their own; consultants what they claimed, and new unclaimed ones (to decide); admins all. */
  private static boolean mayRead(JsonObject c, UUID caller, String role) {
    return switch (role) {
      case Roles.CUSTOMER -> c.getJsonObject("customer").getString("id").equals(caller.toString());
      case Roles.CONSULTANT -> "open".equals(c.getString("status")) || mayWrite(c, caller);
      case Roles.ADMIN -> true;
      default -> false;
    };
  }

  private static boolean mayWrite(JsonObject c, UUID caller) {
    JsonObject consultant = c.getJsonObject("consultant");
    return c.getJsonObject("customer").getString("id").equals(caller.toString())
        || (consultant != null && consultant.getString("id").equals(caller.toString()));
  }
}
