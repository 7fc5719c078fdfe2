package com.anmeismart.server.notify;

import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.AdminAlert;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.NotifyResult;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Puts one notification in front of every active consultant: a live message on {@code client.consultant.<id>} for
 * those online, an inbox row for each (idempotent), and a Web Push message for those offline who subscribed. Admin
 * alerts go to every admin's inbox and live on {@code client.admins}.
 */
final class Fanout {

  private final EventBus bus;
  private final Inbox inbox;
  private final PushStore pushStore;
  private final WebPush push;
  private final NotifyMetrics metrics;

  Fanout(EventBus bus, Inbox inbox, PushStore pushStore, WebPush push, NotifyMetrics metrics) {
    this.bus = bus;
    this.inbox = inbox;
    this.pushStore = pushStore;
    this.push = push;
    this.metrics = metrics;
  }

  /**
   * Online consultants get the live copy first, before any row is written: their notification ids are derived (see
   * {@link Inbox#notificationId}), so the live message needn't wait for the 1-row-per-consultant insert. Then every
   * consultant's inbox row, then Web Push to the offline ones.
   *
   * @param kind      {@code new_customer} or {@code escalation}
   * @param notice    the SPEC §7 payload; each live copy gets its {@code notification_id} (for the delivery ack)
   * @param webPush   whether offline consultants also get a Web Push message
   * @param newCustomer for a new customer's notification, the customer: the statement that reads the consultants
   *                  also starts the conversation's escalation clock; null otherwise
   */
  Future<NotifyResult> consultants(String kind, String dedupeKey, ClientEvent.NewCustomerNotice notice,
                                   UUID conversationId, boolean webPush, UUID newCustomer) {
    JsonObject payload = notice.toJson();
    long t0 = System.nanoTime();
    Future<List<Inbox.Recipient>> consultants = newCustomer == null ? inbox.recipients(Roles.CONSULTANT)
        : inbox.noticeAndRecipients(Roles.CONSULTANT, conversationId, newCustomer);
    return consultants.compose(recipients -> {
      UUID[] ids = Inbox.notificationIds(recipients, dedupeKey);
      int online = 0;
      for (int i = 0; i < ids.length; i++) {
        Inbox.Recipient r = recipients.get(i);
        if (r.online()) {
          online++;
          notice.forNotification(ids[i]).publish(bus, Addresses.clientConsultant(r.userId()));
        }
      }
      metrics.sent("live", online);
      int live = online;
      int offline = recipients.size() - online;
      return inbox.record(recipients, ids, kind, dedupeKey, notice.title(), payload, conversationId)
          .compose(written -> {
            metrics.fanout(System.nanoTime() - t0);
            Map<UUID, Inbox.Recipient> byUser = new HashMap<>();
            recipients.forEach(r -> byUser.put(r.userId(), r));
            List<Inbox.Written> toPush = new ArrayList<>();
            int newInbox = 0;
            for (Inbox.Written w : written) {
              Inbox.Recipient r = byUser.get(w.userId());
              if (r != null && !r.online()) {
                newInbox += w.inserted() ? 1 : 0;
                if (webPush && r.push() && !w.pushed()) {
                  toPush.add(w); // a retry doesn't push again what a push service already accepted
                }
              }
            }
            metrics.sent("inbox", newInbox);
            return push(toPush, payload).map(pushed -> new NotifyResult(live, offline, pushed));
          });
    });
  }

  /** Web Push to every subscription of the recipients; the number of messages push services accepted. */
  private Future<Integer> push(List<Inbox.Written> recipients, JsonObject payload) {
    if (recipients.isEmpty()) {
      return Future.succeededFuture(0);
    }
    Map<UUID, UUID> notificationOf = new HashMap<>();
    recipients.forEach(r -> notificationOf.put(r.userId(), r.notificationId()));
    return pushStore.ofUsers(List.copyOf(notificationOf.keySet())).compose(subs -> {
      List<Future<Boolean>> sends = new ArrayList<>(subs.size());
      for (PushStore.Subscription sub : subs) {
        UUID notificationId = notificationOf.get(sub.userId());
        sends.add(push.send(sub, pushPayload(payload, notificationId)).compose(outcome -> switch (outcome) {
          case ACCEPTED -> pushStore.succeeded(sub.id()).compose(v -> inbox.markPushed(List.of(notificationId)))
              .map(true);
          case GONE -> {
            metrics.pushFailure("gone");
            yield pushStore.drop(sub.id()).map(false);
          }
          case REJECTED, ERROR -> {
            metrics.pushFailure(outcome == WebPush.Outcome.REJECTED ? "rejected" : "error");
            yield pushStore.failed(sub.id()).map(false);
          }
        }).recover(t -> Future.succeededFuture(false)));
      }
      return Future.join(sends).transform(ar -> {
        int accepted = 0;
        for (Future<Boolean> f : sends) {
          accepted += Boolean.TRUE.equals(f.result()) ? 1 : 0;
        }
        metrics.sent("push", accepted);
        return Future.succeededFuture(accepted);
      });
    });
  }

  /** What the service worker shows: small (push services cap payloads near 4 KB). */
  private static JsonObject pushPayload(JsonObject payload, UUID notificationId) {
    return new JsonObject().put("type", payload.getString("type")).put("title", payload.getString("title"))
        .put("body", payload.getString("message")).put("conversation_id", payload.getString("conversation_id"))
        .put("link", payload.getString("link")).put("notification_id", notificationId.toString());
  }

  /** An admin alert: every active admin's inbox, and live on {@code client.admins} when it is new. */
  Future<Integer> admins(AdminAlert alert) {
    JsonObject details = alert.details() == null ? new JsonObject() : alert.details();
    String dedupe = details.getString("dedupe_key", alert.kind() + ":" + details.getString("job_id", "")
        + ":" + alert.at().toEpochMilli());
    ClientEvent.AdminAlertNotice notice = new ClientEvent.AdminAlertNotice(alert.kind(), alert.message(), details,
        alert.at());
    JsonObject body = notice.toJson();
    UUID conversationId = uuidOrNull(details.getString("conversation_id"));
    String key = "alert:" + dedupe;
    return inbox.recipients(Roles.ADMIN).compose(admins -> inbox.record(admins, Inbox.notificationIds(admins, key),
        "admin_alert", key, ClientEvent.AdminAlertNotice.TITLE + ": " + alert.kind(), body, conversationId))
        .map(rows -> {
          long written = rows.stream().filter(Inbox.Written::inserted).count();
          if (written > 0) {
            // only the node whose insert won tells the admin pages, so a cluster sends it once
            notice.publish(bus, Addresses.CLIENT_ADMINS);
            metrics.sent("admin", (int) written);
          }
          return (int) written;
        });
  }

  private static UUID uuidOrNull(String s) {
    try {
      return s == null ? null : UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
