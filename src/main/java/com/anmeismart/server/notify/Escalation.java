package com.anmeismart.server.notify;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.AdminAlert;
import com.anmeismart.server.bus.CustomerCard;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.settings.NotificationSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * PRD §9.2 "多级通知+升级机制": a new customer still unclaimed {@code escalation_minutes} after consultants were
 * told is announced again to every consultant (live, inbox, offline channels, the alert ladder) and admins are told;
 * a live offer (assignment rules) ends with it. Run periodically. Each overdue
 * conversation is leased in PostgreSQL ({@code SKIP LOCKED}) so one pass across all nodes handles it, and marked
 * escalated only once consultants and admins have it: a pass that fails in between leaves the lease to run out, and
 * a later pass escalates it then (at least once; every write on the way is idempotent). A pass whose process died
 * leaves a lease stamped with a dead instance ({@link InstanceLock}): the next pass on any other node takes it at
 * once.
 */
final class Escalation {

  private static final Logger LOG = LoggerFactory.getLogger(Escalation.class);
  private static final int BATCH = 50;
  /** How long a pass may take over one customer before another pass may take it up. */
  static final int LEASE_SECONDS = 60;

  private final Inbox inbox;
  private final Fanout fanout;
  private final UserStore users;
  private final Assigner assigner;
  private final Function<AdminAlert, Future<Void>> alertAdmins;
  private final Supplier<Future<AutomationSettings>> settings;
  private final Supplier<Future<NotificationSettings>> notifications;
  private final String baseUrl;
  private final InstanceLock instance;
  private boolean running;

  Escalation(Inbox inbox, Fanout fanout, UserStore users, Assigner assigner,
             Function<AdminAlert, Future<Void>> alertAdmins, Supplier<Future<AutomationSettings>> settings,
             Supplier<Future<NotificationSettings>> notifications, String baseUrl, InstanceLock instance) {
    this.inbox = inbox;
    this.fanout = fanout;
    this.users = users;
    this.assigner = assigner;
    this.alertAdmins = alertAdmins;
    this.settings = settings;
    this.notifications = notifications;
    this.baseUrl = baseUrl;
    this.instance = instance;
  }

  /** One pass; a pass still running, or this process without its instance lock, makes the next tick a no-op. */
  void check() {
    if (running || !instance.held()) {
      return;
    }
    running = true;
    Future.all(settings.get(), notifications.get())
        .compose(all -> {
          AutomationSettings s = all.resultAt(0);
          NotificationSettings n = all.resultAt(1);
          return inbox.claimOverdue(s.escalationMinutes() * 60, BATCH, LEASE_SECONDS, instance.number())
              .compose(overdue -> {
                List<Future<?>> each = new ArrayList<>(overdue.size());
                for (Inbox.Overdue o : overdue) {
                  each.add(escalate(o, s, n));
                }
                return Future.join(each);
              });
        })
        .onFailure(t -> LOG.warn("escalation check failed (next tick tries again): {}", t.getMessage()))
        .onComplete(ar -> running = false);
  }

  private Future<?> escalate(Inbox.Overdue o, AutomationSettings s, NotificationSettings n) {
    Instant now = Instant.now();
    double waited = Duration.between(o.notifiedAt(), now).toMillis() / 60_000.0;
    // a live offer ends: everyone is told now, and anyone may claim
    return assigner.escalated(o.conversationId())
        .compose(v -> users.card(o.customerId()))
        .map(card -> card.orElseGet(() -> new CustomerCard(o.customerId(), o.username(), o.username(), List.of(),
            null, o.registeredAt(), null)))
        .compose(card -> fanout.consultants("escalation", "escalation:" + o.conversationId(),
            Payloads.escalation(card, o.conversationId(), s.expectedResponseMinutes(), waited, baseUrl, now),
            s.notifyWebPush(), n.ackSeconds(), false).map(result -> Map.entry(card, result)))
        .compose(told -> {
          NotifyResult result = told.getValue();
          LOG.info("escalated: conversation_id={}, user_id={}, waited_minutes={}, result={}", o.conversationId(),
              o.customerId(), String.format("%.2f", waited), result.toJson().encode());
          // written (not published) so the mark below waits for it; off when admin notifications are switched off
          AdminAlert alert = new AdminAlert("customer_unclaimed",
              "新客户「" + told.getKey().displayName() + "」已等待 " + String.format("%.1f", waited) + " 分钟，仍未被顾问认领",
              new JsonObject().put("conversation_id", o.conversationId().toString())
                  .put("user_id", o.customerId().toString()).put("waited_minutes", waited)
                  .put("consultants_reached", result.reached())
                  .put("dedupe_key", "customer_unclaimed:" + o.conversationId()),
              now);
          return alertAdmins.apply(alert).compose(v -> inbox.escalated(o.conversationId()));
        })
        .onFailure(t -> LOG.warn("escalation of conversation {} failed (retried when its lease runs out in {} s): {}",
            o.conversationId(), LEASE_SECONDS, t.getMessage()));
  }
}
