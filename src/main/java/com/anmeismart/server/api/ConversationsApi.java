package com.anmeismart.server.api;

import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ChatMessage;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.notify.Assignments;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /conversations}: the caller's conversations, their messages ({@code ?after=} cursor = message {@code seq}),
 * sending a chat message, and the consultants' claim, acceptance of an offer, and close. New messages go out live on
 * {@code client.conversation.<id>} and to the claiming consultant's own address. A customer's phone number is shown
 * to the customer, the consultant who claimed them and admins; everyone else sees it masked.
 */
final class ConversationsApi {

  private static final JsonBodies MESSAGE = JsonBodies.schema("chat-message");
  private static final Set<String> STATUSES = Set.of("open", "claimed", "closed");

  private final ConversationStore store;
  private final Assignments assignments;
  private final EventBus bus;

  ConversationsApi(ConversationStore store, Assignments assignments, EventBus bus) {
    this.store = store;
    this.assignments = assignments;
    this.bus = bus;
  }

  /** GET /conversations?status=&limit=&offset= → own (customer), claimed or new (consultant), all (admin). */
  void list(RoutingContext ctx) {
    String role = readerRole(ctx);
    String status = Params.oneOf(ctx, "status", STATUSES);
    int limit = Params.integer(ctx, "limit", 50, 1, 200);
    int offset = Params.integer(ctx, "offset", 0, 0, 1_000_000);
    UUID caller = Access.userId(ctx);
    store.list(role, caller, status, limit, offset)
        .onSuccess(page -> {
          page.getJsonArray("items").forEach(c -> forViewer((JsonObject) c, caller, role));
          Responses.json(ctx, 200, page);
        }).onFailure(ctx::fail);
  }

  /** GET /conversations/{id} → the conversation, for its participants (and consultants, while it is open). */
  void get(RoutingContext ctx) {
    String role = readerRole(ctx);
    UUID id = Params.uuid(ctx, "id");
    UUID caller = Access.userId(ctx);
    store.get(id)
        .map(found -> {
          JsonObject c = found.orElseThrow(() -> ApiException.notFound("Conversation"));
          if (!mayRead(c, caller, role)) {
            throw ApiException.forbidden("Not a participant of this conversation");
          }
          return forViewer(c, caller, role);
        })
        .onSuccess(c -> Responses.json(ctx, 200, c)).onFailure(ctx::fail);
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

  /**
   * POST /conversations/{id}/claim → 200 the conversation; 409 {@code already_claimed} when someone else (or you)
   * claimed it first, 409 {@code offer_pending} while the customer is offered to another consultant (assignment
   * rules). Claiming one's own live offer is accepting it.
   */
  void claim(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    UUID caller = Access.userId(ctx);
    assignments.claim(id, caller).compose(result -> claimed(ctx, id, caller, result))
        .onSuccess(c -> Responses.json(ctx, 200, c)).onFailure(ctx::fail);
  }

  /**
   * POST /conversations/{id}/accept → 200 the conversation (accepting is claiming); 409 {@code offer_expired} when
   * the caller's offer ran out, {@code offer_not_yours} when it is someone else's (or there is none).
   */
  void accept(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    UUID caller = Access.userId(ctx);
    assignments.accept(id, caller).compose(result -> claimed(ctx, id, caller, result))
        .onSuccess(c -> Responses.json(ctx, 200, c)).onFailure(ctx::fail);
  }

  /** The outcome of a claim or an acceptance: 200 and the pages told, or the 409 that says why not. */
  private Future<JsonObject> claimed(RoutingContext ctx, UUID id, UUID caller, Assignments.ClaimResult result) {
    return store.get(id).map(found -> {
      JsonObject c = found.orElseThrow(() -> ApiException.notFound("Conversation"));
      JsonObject by = c.getJsonObject("consultant");
      switch (result.outcome()) {
        case WON -> {
          String at = c.getString("claimed_at");
          ClientEvent claimed = new ClientEvent.Claimed(id, new ClientEvent.Person(caller, by.getString("username"),
              by.getString("display_name")), at == null ? null : Instant.parse(at));
          claimed.publish(bus, Addresses.CLIENT_CONSULTANTS);
          claimed.publish(bus, Addresses.clientConversation(id));
          if (result.previousOffer() != null) {
            new ClientEvent.OfferEnded(id, "claimed").publish(bus, Addresses.clientConsultant(result.previousOffer()));
          }
          return forViewer(c, caller, Roles.CONSULTANT);
        }
        case OFFER_PENDING -> throw ApiException.conflict("offer_pending", "The customer is offered to another "
            + "consultant until " + result.expiresAt(), new JsonObject().put("status", c.getString("status"))
            .put("offer_expires_at", result.expiresAt() == null ? null : result.expiresAt().toString()));
        case OFFER_EXPIRED -> throw ApiException.conflict("offer_expired", "Your offer of this customer ran out",
            new JsonObject().put("status", c.getString("status")));
        case OFFER_NOT_YOURS -> throw ApiException.conflict("offer_not_yours",
            "This customer is not offered to you", new JsonObject().put("status", c.getString("status")));
        default -> throw ApiException.conflict("already_claimed", by == null
            ? "This conversation can't be claimed (" + c.getString("status") + ")"
            : "Already claimed by " + by.getString("display_name"), new JsonObject()
            .put("status", c.getString("status")).put("consultant", by));
      }
    });
  }

  /** POST /conversations/{id}/close → 200 the conversation, closed; 409 unless the caller claimed it and it is open. */
  void close(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    UUID caller = Access.userId(ctx);
    store.close(id, caller)
        .compose(closed -> store.get(id).map(found -> {
          JsonObject c = found.orElseThrow(() -> ApiException.notFound("Conversation"));
          if (closed.isEmpty()) {
            throw ApiException.conflict("conversation_not_yours", "Only the consultant who claimed an open "
                + "conversation can close it", new JsonObject().put("status", c.getString("status")));
          }
          JsonObject by = c.getJsonObject("consultant");
          ClientEvent event = new ClientEvent.Closed(id, new ClientEvent.Person(caller, by.getString("username"),
              by.getString("display_name")), closed.get());
          event.publish(bus, Addresses.clientConversation(id));
          event.publish(bus, Addresses.clientConsultant(caller));
          return forViewer(c, caller, Roles.CONSULTANT);
        }))
        .onSuccess(c -> Responses.json(ctx, 200, c)).onFailure(ctx::fail);
  }

  /** The customer's phone for the customer, the claiming consultant and admins; masked for everyone else. */
  private static JsonObject forViewer(JsonObject c, UUID caller, String role) {
    JsonObject consultant = c.getJsonObject("consultant");
    boolean mine = Roles.ADMIN.equals(role) || c.getJsonObject("customer").getString("id").equals(caller.toString())
        || consultant != null && consultant.getString("id").equals(caller.toString());
    if (!mine) {
      c.getJsonObject("customer").remove("phone");
    }
    return c;
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
