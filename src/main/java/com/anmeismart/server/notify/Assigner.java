package com.anmeismart.server.notify;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.CustomerCard;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.settings.NotificationSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.SqlClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The assignment rules at work (round_robin, least_loaded): a new customer is offered to one consultant, the offer
 * moves to the next when it runs out, and with nobody left everyone is told (broadcast). Each move is one
 * transaction on the customer's {@link Assignments} row (with the offer's inbox row and its ladder send); what the
 * pages get is published after the commit. Expiries and broadcasts still to do are found by a pass any node runs
 * (periodically, and at the expiry of the offers this process made), so a restart or another node carries them on.
 */
final class Assigner {

  private static final Logger LOG = LoggerFactory.getLogger(Assigner.class);
  /** How long a pass holds a broadcast while it tells everyone (a failure leaves it to a later pass). */
  static final int BROADCAST_LEASE_SECONDS = 30;
  private static final int BATCH = 50;

  /** Everyone is to be told of this customer now (the verticle's broadcast: live, inbox, offline channels). */
  record Broadcast(CustomerCard customer, UUID conversationId) {
  }

  /** What one transaction decided, for after its commit. */
  private record Step(UUID conversationId, CustomerCard customer, UUID ended, String endedReason, UUID offeredTo,
                      ClientEvent.Offer offer, boolean ladder, int ackSeconds, boolean broadcast) {
    static Step nothing(UUID conversation) {
      return new Step(conversation, null, null, null, null, null, false, 0, false);
    }
  }

  /** The start found an assignment already there (a retried job). */
  private static final class Exists extends RuntimeException {
    Exists() {
      super("assignment exists", null, false, false);
    }
  }

  private final Vertx vertx;
  private final Assignments store;
  private final UserStore users;
  private final OfflineSender sender;
  private final NotifyMetrics metrics;
  private final int presenceTtl;
  private final String baseUrl;
  private final Supplier<Future<NotificationSettings>> notifications;
  private final Supplier<Future<AutomationSettings>> automation;
  private final Function<Broadcast, Future<NotifyResult>> broadcast;
  /** Whether WeCom cards go out (the offer's ladder has a WeCom rung for a consultant with a WeCom user id). */
  private final BooleanSupplier wecomOn;
  private boolean sweeping;
  private boolean sweepAgain;

  Assigner(Vertx vertx, Assignments store, UserStore users, OfflineSender sender, NotifyMetrics metrics,
           int presenceTtl, String baseUrl, Supplier<Future<NotificationSettings>> notifications,
           Supplier<Future<AutomationSettings>> automation, Function<Broadcast, Future<NotifyResult>> broadcast,
           BooleanSupplier wecomOn) {
    this.vertx = vertx;
    this.store = store;
    this.users = users;
    this.sender = sender;
    this.metrics = metrics;
    this.presenceTtl = presenceTtl;
    this.baseUrl = baseUrl;
    this.notifications = notifications;
    this.automation = automation;
    this.broadcast = broadcast;
    this.wecomOn = wecomOn;
  }

  /**
   * A new customer under an assignment rule: the first offer (or, with nobody eligible, the broadcast). A retried
   * job finds the assignment there and carries on from it. The escalation clock starts with it.
   */
  Future<NotifyResult> start(CustomerCard customer, UUID conversation, NotificationSettings s, boolean webPush) {
    UUID customerId = customer.id();
    return store.pool().withTransaction(tx -> Inbox.startNotice(tx, conversation, customerId)
            .compose(v -> Assignments.choose(tx, presenceTtl, List.of(), s.maxOpenConversations(),
                s.assignmentMode()))
            .compose(chosen -> chosen == null
                ? Assignments.insertBroadcast(tx, conversation, customerId, s.assignmentMode(), BROADCAST_LEASE_SECONDS)
                    .compose(inserted -> {
                      if (!inserted) {
                        return Future.<Step>failedFuture(new Exists());
                      }
                      return Assignments.event(tx, conversation, null, "broadcast", null, "nobody_eligible")
                          .map(new Step(conversation, customer, null, null, null, null, false, 0, true));
                    })
                : Assignments.insertOffering(tx, conversation, customerId, s.assignmentMode(), chosen.consultantId(),
                        s.offerSeconds())
                    .compose(expires -> expires == null ? Future.<Step>failedFuture(new Exists())
                        : offer(tx, customer, conversation, chosen, 1, expires, s, webPush, null, null))))
        .recover(t -> t instanceof Exists ? resume(customer, conversation) : Future.failedFuture(t))
        .compose(this::after);
  }

  /** A retried job: the assignment is there; a broadcast not yet carried out is carried out now. */
  private Future<Step> resume(CustomerCard customer, UUID conversation) {
    return store.current(conversation).map(row -> {
      boolean pendingBroadcast = row != null && "broadcast".equals(row.getString("state"))
          && row.getValue("broadcast_at") == null;
      return pendingBroadcast ? new Step(conversation, customer, null, null, null, null, false, 0, true)
          : Step.nothing(conversation);
    });
  }

  /** Writes an offer to {@code chosen} on the transaction: its event, the consultant's inbox row, its ladder send. */
  private Future<Step> offer(SqlClient tx, CustomerCard customer, UUID conversation, Assignments.Chosen chosen,
                             int seq, Instant expires, NotificationSettings s, boolean webPush, UUID ended,
                             String endedReason) {
    UUID to = chosen.consultantId();
    ClientEvent.Offer offer = Payloads.offer(customer, conversation, expires, s.offerSeconds(), baseUrl,
        Instant.now());
    String key = Payloads.offerKey(conversation);
    UUID notification = Inbox.notificationId(to, key);
    List<OfflineSends.NewSend> rungs = new ArrayList<>(2);
    if (webPush && chosen.push()) {
      rungs.add(new OfflineSends.NewSend(to, customer.id(), conversation, WebPushChannel.NAME, "offer",
          "unacknowledged", notification, Payloads.push(offer.toJson(), notification), s.ackSeconds() * 1000L));
    }
    if (wecomOn.getAsBoolean() && chosen.wecomUserid() != null) {
      rungs.add(new OfflineSends.NewSend(to, customer.id(), conversation, WeComChannel.NAME, "offer",
          "unacknowledged", notification, Payloads.wecom(offer.toJson(), chosen.wecomUserid()),
          s.ackSeconds() * 1000L));
    }
    boolean ladder = !rungs.isEmpty();
    return Assignments.event(tx, conversation, to, "offered", seq, null)
        .compose(v -> Inbox.record(tx, List.of(new Inbox.Recipient(to, true, chosen.push(), chosen.wecomUserid())),
            new UUID[] {notification}, "offer", key, offer.title(), offer.toJson(), conversation))
        .compose(v -> OfflineSends.schedule(tx, rungs))
        .map(v -> new Step(conversation, customer, ended, endedReason, to, offer.forNotification(notification), ladder,
            s.ackSeconds(), false));
  }

  /** After the commit: the pages are told, timers set, a broadcast carried out. */
  private Future<NotifyResult> after(Step step) {
    if (step.ended() != null) {
      new ClientEvent.OfferEnded(step.conversationId(), step.endedReason())
          .publish(vertx.eventBus(), Addresses.clientConsultant(step.ended()));
      metrics.offer("expired");
    }
    if (step.offeredTo() != null) {
      step.offer().publish(vertx.eventBus(), Addresses.clientConsultant(step.offeredTo()));
      metrics.offer("offered");
      LOG.info("customer offered: conversation_id={}, consultant_id={}, expires_at={}", step.conversationId(),
          step.offeredTo(), step.offer().expiresAt());
      // this process made the offer: it looks again when it runs out (any node's periodic pass would too)
      sweepIn(Duration.between(Instant.now(), step.offer().expiresAt()).toMillis() + 20);
      if (step.ladder()) {
        sender.sweepIn(step.ackSeconds() * 1000L + OfflineSender.DUE_MARGIN_MS);
      }
      return Future.succeededFuture(new NotifyResult(0, 0, 0, 1));
    }
    if (step.broadcast()) {
      metrics.offer("broadcast");
      return broadcast.apply(new Broadcast(step.customer(), step.conversationId()))
          .compose(result -> store.broadcastDone(step.conversationId()).map(result));
    }
    return Future.succeededFuture(new NotifyResult(0, 0, 0, step.ended() == null ? 1 : 0));
  }

  void sweepIn(long delayMs) {
    vertx.setTimer(Math.max(1, delayMs), id -> sweep());
  }

  /** Moves every offer that ran out and carries out every broadcast left to do, one customer per transaction. */
  void sweep() {
    if (sweeping) {
      sweepAgain = true;
      return;
    }
    sweeping = true;
    sweepAgain = false;
    Future.all(notifications.get(), automation.get())
        .compose(all -> next(all.resultAt(0), all.resultAt(1), 0))
        .onFailure(t -> LOG.warn("assignment pass failed (the next pass tries again): {}", t.getMessage()))
        .onComplete(ar -> {
          sweeping = false;
          if (sweepAgain || (ar.succeeded() && ar.result() >= BATCH)) {
            sweep();
          }
        });
  }

  private Future<Integer> next(NotificationSettings s, AutomationSettings a, int done) {
    if (done >= BATCH) {
      return Future.succeededFuture(done);
    }
    return store.pool().withTransaction(tx -> Assignments.takeDue(tx).compose(row -> row == null
            ? Future.<Step>succeededFuture(null) : due(tx, row, s, a.notifyWebPush())))
        .compose(step -> step == null ? Future.succeededFuture(done)
            : after(step).recover(t -> {
              LOG.warn("assignment step for {} did not finish ({}); a later pass carries it on",
                  step.conversationId(), t.getMessage());
              return Future.succeededFuture();
            }).compose(v -> next(s, a, done + 1)));
  }

  /** One due row under its lock: an expired offer moves on (or ends in a broadcast); a pending broadcast is held. */
  private Future<Step> due(SqlClient tx, Assignments.Row0 row, NotificationSettings s, boolean webPush) {
    UUID conversation = row.conversationId();
    Future<CustomerCard> card = users.card(row.customerId()).map(found -> found.orElse(null));
    if ("broadcast".equals(row.state())) {
      return Assignments.toBroadcast(tx, conversation, BROADCAST_LEASE_SECONDS).compose(v -> card)
          .map(c -> c == null ? Step.nothing(conversation)
              : new Step(conversation, c, null, null, null, null, false, 0, true));
    }
    UUID previous = row.offeredTo();
    Future<Void> expired = Assignments.event(tx, conversation, previous, "expired", row.offerSeq(), null)
        .compose(v -> Inbox.settle(tx, previous, Payloads.offerKey(conversation)));
    if (!"open".equals(row.conversationStatus())) {
      return expired.compose(v -> Assignments.settle(tx, conversation, "claimed"))
          .map(new Step(conversation, null, previous, "claimed", null, null, false, 0, false));
    }
    if (!s.offers()) {
      return expired.compose(v -> toBroadcast(tx, conversation, previous, card, "mode_changed"));
    }
    return expired.compose(v -> Assignments.choose(tx, presenceTtl, row.tried(), s.maxOpenConversations(), row.mode()))
        .compose(chosen -> chosen == null ? toBroadcast(tx, conversation, previous, card, "all_timed_out")
            : Assignments.move(tx, conversation, chosen.consultantId(), s.offerSeconds())
                .compose(expires -> card.compose(c -> offer(tx, c, conversation, chosen, row.offerSeq() + 1, expires,
                    s, webPush, previous, "expired"))));
  }

  private Future<Step> toBroadcast(SqlClient tx, UUID conversation, UUID previous, Future<CustomerCard> card,
                                   String why) {
    return Assignments.toBroadcast(tx, conversation, BROADCAST_LEASE_SECONDS)
        .compose(v -> Assignments.event(tx, conversation, null, "broadcast", null, why))
        .compose(v -> card)
        .map(c -> new Step(conversation, c, previous, "expired", null, null, false, 0, c != null));
  }

  /**
   * The escalation tells everyone: a live offer ends (its consultant is told) and no broadcast is left to do. At
   * least once, like the escalation: doing it again changes nothing.
   */
  Future<Void> escalated(UUID conversation) {
    return store.pool().withTransaction(tx -> Assignments.lock(tx, conversation).compose(row -> {
      if (row == null || !("offering".equals(row.state()) || "broadcast".equals(row.state()))) {
        return Future.succeededFuture((UUID) null);
      }
      boolean offering = "offering".equals(row.state());
      return Assignments.escalated(tx, conversation)
          .compose(v -> !offering ? Future.succeededFuture()
              : Assignments.event(tx, conversation, row.offeredTo(), "expired", row.offerSeq(), "escalated")
                  .compose(x -> Inbox.settle(tx, row.offeredTo(), Payloads.offerKey(conversation)))
                  .compose(x -> Assignments.event(tx, conversation, null, "broadcast", null, "escalated")))
          .map(offering ? row.offeredTo() : null);
    })).map(previous -> {
      if (previous != null) {
        new ClientEvent.OfferEnded(conversation, "escalated").publish(vertx.eventBus(),
            Addresses.clientConsultant(previous));
      }
      return null;
    });
  }
}
