package com.anmeismart.server.bus;

import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * What browsers receive over the SockJS bridge on the {@code client.*} addresses: one record per event type, so
 * every place that sends one builds the same shape (and a page reads the same fields live as fetched). They travel
 * as JSON ({@link #toJson()}): the bridge hands bodies to browsers as they are, so a record never crosses it.
 */
public sealed interface ClientEvent {

  /** The {@code type} field pages switch on. */
  String type();

  JsonObject toJson();

  /** Sends the event to the pages listening on {@code address}. */
  default void publish(EventBus bus, String address) {
    bus.publish(address, toJson());
  }

  /** Reads any event back from its JSON (tests, and whoever consumes a {@code client.*} address on the bus). */
  static ClientEvent fromJson(JsonObject j) {
    String type = j.getString("type");
    return switch (type == null ? "" : type) {
      case Message.TYPE -> new Message(ChatMessage.fromJson(j.getJsonObject("message")));
      case Claimed.TYPE -> Claimed.fromJson(j);
      case NewCustomerNotice.TYPE -> NewCustomerNotice.fromJson(j);
      case AdminAlertNotice.TYPE -> new AdminAlertNotice(j.getString("kind"), j.getString("message"),
          j.getJsonObject("details", new JsonObject()), Instant.parse(j.getString("timestamp")));
      case Presence.TYPE -> new Presence(j.getBoolean("online"));
      case WelcomeChunk.TYPE -> new WelcomeChunk(UUID.fromString(j.getString("conversation_id")),
          j.getInteger("seq"), j.getString("delta"));
      case WelcomeReplace.TYPE -> new WelcomeReplace(UUID.fromString(j.getString("conversation_id")),
          j.getString("text"));
      case Offer.TYPE -> Offer.fromJson(j);
      case OfferEnded.TYPE -> new OfferEnded(UUID.fromString(j.getString("conversation_id")), j.getString("reason"));
      case Closed.TYPE -> Closed.fromJson(j);
      default -> throw new IllegalArgumentException("unknown client event type " + type);
    };
  }

  /** A stored message (the welcome or a chat message), the same object {@code GET …/messages} returns. */
  record Message(ChatMessage message) implements ClientEvent {
    public static final String TYPE = "message";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("message", message.toJson());
    }
  }

  /** Who a consultant is on the pages: {@code {id, username, display_name}} (pages show the display name). */
  record Person(UUID id, String username, String displayName) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id.toString()).put("username", username).put("display_name", displayName);
    }

    static Person fromJson(JsonObject j) {
      return new Person(UUID.fromString(j.getString("id")), j.getString("username"),
          j.getString("display_name", j.getString("username")));
    }
  }

  /** A consultant claimed the conversation (to every consultant page, and to the customer's). */
  record Claimed(UUID conversationId, Person consultant, Instant claimedAt) implements ClientEvent {
    public static final String TYPE = "claimed";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("conversation_id", conversationId.toString())
          .put("consultant", consultant.toJson())
          .put("claimed_at", claimedAt == null ? null : claimedAt.toString());
    }

    static Claimed fromJson(JsonObject j) {
      String at = j.getString("claimed_at");
      return new Claimed(UUID.fromString(j.getString("conversation_id")), Person.fromJson(j.getJsonObject("consultant")),
          at == null ? null : Instant.parse(at));
    }
  }

  /**
   * SPEC §7's new-customer notification (also the escalation's, flagged {@code escalated}), as a consultant's page,
   * inbox entry and push message carry it.
   *
   * @param notificationId the recipient's notification, on live copies only (what the page acknowledges), else null
   */
  record NewCustomerNotice(String title, String message, CustomerCard customer, UUID conversationId, String link,
                           int expectedResponseMinutes, Instant timestamp, boolean escalated, UUID notificationId)
      implements ClientEvent {
    public static final String TYPE = "new_customer";

    @Override
    public String type() {
      return TYPE;
    }

    /** The live copy for one recipient. */
    public NewCustomerNotice forNotification(UUID id) {
      return new NewCustomerNotice(title, message, customer, conversationId, link, expectedResponseMinutes, timestamp,
          escalated, id);
    }

    @Override
    public JsonObject toJson() {
      JsonObject j = new JsonObject().put("type", TYPE).put("title", title).put("message", message)
          .put("customer", customer.toJson())
          .put("conversation_id", conversationId.toString()).put("link", link)
          .put("expected_response_minutes", expectedResponseMinutes).put("timestamp", timestamp.toString())
          .put("action", "claim_customer");
      if (escalated) {
        j.put("escalated", true);
      }
      if (notificationId != null) {
        j.put("notification_id", notificationId.toString());
      }
      return j;
    }

    static NewCustomerNotice fromJson(JsonObject j) {
      String id = j.getString("notification_id");
      return new NewCustomerNotice(j.getString("title"), j.getString("message"),
          CustomerCard.fromJson(j.getJsonObject("customer")), UUID.fromString(j.getString("conversation_id")),
          j.getString("link"), j.getInteger("expected_response_minutes"), Instant.parse(j.getString("timestamp")),
          j.getBoolean("escalated", false), id == null ? null : UUID.fromString(id));
    }
  }

  /**
   * The customer is offered to this consultant alone until {@code expiresAt} (assignment modes other than
   * broadcast): {@code POST /conversations/{id}/accept} takes it. Acknowledged like a live copy (the ladder applies).
   *
   * @param notificationId the consultant's inbox row of the offer (what the page acknowledges); null in the row itself
   */
  record Offer(String title, String message, CustomerCard customer, UUID conversationId, String link,
               Instant expiresAt, int offerSeconds, Instant timestamp, UUID notificationId) implements ClientEvent {
    public static final String TYPE = "offer";

    @Override
    public String type() {
      return TYPE;
    }

    public Offer forNotification(UUID id) {
      return new Offer(title, message, customer, conversationId, link, expiresAt, offerSeconds, timestamp, id);
    }

    @Override
    public JsonObject toJson() {
      JsonObject j = new JsonObject().put("type", TYPE).put("title", title).put("message", message)
          .put("conversation_id", conversationId.toString()).put("customer", customer.toJson()).put("link", link)
          .put("expires_at", expiresAt.toString()).put("offer_seconds", offerSeconds)
          .put("timestamp", timestamp.toString()).put("action", "accept_customer");
      if (notificationId != null) {
        j.put("notification_id", notificationId.toString());
      }
      return j;
    }

    static Offer fromJson(JsonObject j) {
      String id = j.getString("notification_id");
      return new Offer(j.getString("title"), j.getString("message"), CustomerCard.fromJson(j.getJsonObject("customer")),
          UUID.fromString(j.getString("conversation_id")), j.getString("link"), Instant.parse(j.getString("expires_at")),
          j.getInteger("offer_seconds"), Instant.parse(j.getString("timestamp")),
          id == null ? null : UUID.fromString(id));
    }
  }

  /**
   * An offer to this consultant is over: {@code expired} (it moved on), {@code claimed} (someone took the customer),
   * {@code escalated} (everyone is told now).
   */
  record OfferEnded(UUID conversationId, String reason) implements ClientEvent {
    public static final String TYPE = "offer_ended";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("conversation_id", conversationId.toString()).put("reason", reason);
    }
  }

  /** The claiming consultant closed the conversation (to the customer's page and the consultant's own). */
  record Closed(UUID conversationId, Person consultant, Instant closedAt) implements ClientEvent {
    public static final String TYPE = "closed";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("conversation_id", conversationId.toString())
          .put("consultant", consultant.toJson()).put("closed_at", closedAt.toString());
    }

    static Closed fromJson(JsonObject j) {
      return new Closed(UUID.fromString(j.getString("conversation_id")), Person.fromJson(j.getJsonObject("consultant")),
          Instant.parse(j.getString("closed_at")));
    }
  }

  /** An alert for admins ({@code client.admins}, and the admins' inbox entries). */
  record AdminAlertNotice(String kind, String message, JsonObject details, Instant timestamp) implements ClientEvent {
    public static final String TYPE = "admin_alert";
    public static final String TITLE = "管理员告警";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("kind", kind).put("title", TITLE).put("message", message)
          .put("details", details == null ? new JsonObject() : details.copy()).put("timestamp", timestamp.toString());
    }
  }

  /** To a consultant's own address once their socket counts as online. */
  record Presence(boolean online) implements ClientEvent {
    public static final String TYPE = "presence";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("online", online);
    }
  }

  /** A piece of the welcome as the agent writes it; the stored {@link Message} replaces the preview. */
  record WelcomeChunk(UUID conversationId, int seq, String delta) implements ClientEvent {
    public static final String TYPE = "welcome_chunk";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("conversation_id", conversationId.toString()).put("seq", seq)
          .put("delta", delta);
    }
  }

  /** The agent's moderation replaced the welcome written so far. */
  record WelcomeReplace(UUID conversationId, String text) implements ClientEvent {
    public static final String TYPE = "welcome_replace";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", TYPE).put("conversation_id", conversationId.toString()).put("text", text);
    }
  }
}
