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
import java.util.function.BooleanSupplier;

/**
 * Puts one notification in front of every active consultant: a live message on {@code client.consultant.<id>} for
 * those online, an inbox row for each (idempotent), and on the offline channels (Web Push) a message for those
 * offline at once and, for those online, one that goes out only if their page does not acknowledge the live copy
 * within {@code ack_seconds} (the alert ladder). Admin alerts go to every admin's inbox and live on
 * {@code client.admins}.
 */
final class Fanout {

  private final EventBus bus;
  private final Inbox inbox;
  private final OfflineSends sends;
  private final OfflineSender sender;
  private final NotifyMetrics metrics;
  /** Whether WeCom cards go out now (switched on and configured): the ladder's WeCom rung. */
  private final BooleanSupplier wecomOn;

  Fanout(EventBus bus, Inbox inbox, OfflineSends sends, OfflineSender sender, NotifyMetrics metrics,
         BooleanSupplier wecomOn) {
    this.bus = bus;
    this.inbox = inbox;
    this.sends = sends;
    this.sender = sender;
    this.metrics = metrics;
    this.wecomOn = wecomOn;
  }

  /**
   * Online consultants get the live copy first, before any row is written: their notification ids are derived (see
   * {@link Inbox#notificationId}), so the live message needn't wait for the 1-row-per-consultant insert. Then every
   * consultant's inbox row, then the offline sends: sent now for the offline ones, due after {@code ackSeconds} for
   * the online ones (unless their page acknowledges first).
   *
   * @param kind        {@code new_customer} or {@code escalation}
   * @param notice      the SPEC §7 payload; each live copy gets its {@code notification_id} (for the delivery ack)
   * @param webPush     whether the Web Push channel is on
   * @param startNotice a new customer's notification: the statement that reads the consultants also starts the
   *                    conversation's escalation clock
   */
  Future<NotifyResult> consultants(String kind, String dedupeKey, ClientEvent.NewCustomerNotice notice,
                                   boolean webPush, int ackSeconds, boolean startNotice) {
    JsonObject payload = notice.toJson();
    UUID conversationId = notice.conversationId();
    UUID customerId = notice.customer().id();
    long t0 = System.nanoTime();
    Future<List<Inbox.Recipient>> consultants = startNotice
        ? inbox.noticeAndRecipients(Roles.CONSULTANT, conversationId, customerId) : inbox.recipients(Roles.CONSULTANT);
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
            List<OfflineSends.NewSend> offlineSends = new ArrayList<>();
            int newInbox = 0;
            boolean ladder = false;
            boolean wecom = wecomOn.getAsBoolean();
            for (Inbox.Written w : written) {
              Inbox.Recipient r = byUser.get(w.userId());
              if (r == null) {
                continue;
              }
              newInbox += !r.online() && w.inserted() ? 1 : 0;
              if (webPush && r.push()) {
                ladder |= r.online();
                offlineSends.add(new OfflineSends.NewSend(r.userId(), customerId, conversationId,
                    WebPushChannel.NAME, kind, r.online() ? "unacknowledged" : "offline", w.notificationId(),
                    Payloads.push(payload, w.notificationId()), r.online() ? ackSeconds * 1000L : 0));
              }
              if (wecom && r.wecomUserid() != null) {
                ladder |= r.online();
                offlineSends.add(new OfflineSends.NewSend(r.userId(), customerId, conversationId,
                    WeComChannel.NAME, kind, r.online() ? "unacknowledged" : "offline", w.notificationId(),
                    Payloads.wecom(payload, r.wecomUserid()), r.online() ? ackSeconds * 1000L : 0));
              }
            }
            metrics.sent("inbox", newInbox);
            // offline consultants' sends go out now; a row another attempt already sent is not due any more. The
            // ladder's pass is timed from the rows' own due time (written by this statement, in PostgreSQL's clock),
            // not from before it: a pass a moment early finds nothing due and the row waits for the periodic pass
            Future<List<UUID>> scheduled = sends.schedule(offlineSends);
            if (ladder) {
              scheduled.onSuccess(rows -> sender.sweepIn(ackSeconds * 1000L + OfflineSender.DUE_MARGIN_MS));
            }
            return scheduled.compose(sender::sendNow)
                .map(pushed -> new NotifyResult(live, offline, pushed));
          });
    });
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
