package com.anmeismart.server.notify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.AdminAlert;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.notify.wecom.WeComClient;
import com.anmeismart.server.notify.wecom.WeComStore;
import com.anmeismart.server.ops.LogFields;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.CustomerCard;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.settings.Documents;
import com.anmeismart.server.settings.NotificationSettings;
import com.anmeismart.server.settings.SettingsCache;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Tells consultants about new customers (SPEC §7, R003): on {@code notify.new-customer} either every consultant
 * (broadcast: live for those online, an inbox entry for each, Web Push for those offline) or, under an assignment
 * rule, one consultant at a time ({@link Assigner}); with no consultant at all the admins are told; the reply is what
 * happened. A live copy a page does not acknowledge in time goes out on the offline channels ({@link OfflineSender},
 * the alert ladder). Also turns {@code admin.alerts} and the admin-alert outbox (dead jobs) into admin inbox entries,
 * and escalates customers nobody claimed in time.
 */
public final class NotificationVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(NotificationVerticle.class);
  private static final long PRESENCE_GAUGE_MS = 5_000;
  /** How often pending outbox alerts are looked for besides the nudge (a nudge lost with a crashed node). */
  private static final long OUTBOX_SWEEP_MS = 5_000;
  /**
   * How often due offline sends and offers that ran out are looked for, on every node: the backstop for rows of
   * another node or of a restarted process (this process also looks at the due time of what it scheduled).
   */
  static final long DUE_SWEEP_MS = 1_000;
  private static final int OUTBOX_BATCH = 50;
  /** How long a pass may take over an outbox alert before another pass may deliver it. */
  private static final int OUTBOX_LEASE_SECONDS = 60;

  private final AppContext app;
  private Fanout fanout;
  private WebPush push;
  private NotifyMetrics metrics;
  private SettingsCache<AutomationSettings> settings;
  private SettingsCache<NotificationSettings> notifications;
  private UserStore users;
  private Assigner assigner;
  private AlertOutbox outbox;
  private WeComClient wecomClient;
  private boolean draining;
  private boolean drainAgain;

  public NotificationVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    AppConfig config = app.config();
    Pool pool = app.database().pool(vertx);
    Presence presence = new Presence(pool, config.presenceTtlSeconds());
    // The fan-out's writes (notices, inbox rows, escalation leases and marks) commit without waiting for the disk,
    // like the automation's steps. They are redone when lost: a new customer's job records its progress after them,
    // an escalation is marked done only after its notices, and PostgreSQL makes a commit durable only with every
    // commit before it; the worst is a repeated live copy. (The inbox API's reads and marks, the offline sends and
    // the assignments use the durable pool: what went out on a channel is never forgotten.)
    Inbox inbox = new Inbox(app.database().redoablePool(vertx), config.presenceTtlSeconds());
    SettingsStore store = new SettingsStore(pool, null);
    settings = SettingsCache.automation(vertx, store);
    notifications = new SettingsCache<>(vertx, store, Documents.NOTIFICATIONS);
    metrics = new NotifyMetrics(app.metrics());
    users = new UserStore(pool);
    PushStore pushStore = new PushStore(pool);
    outbox = new AlertOutbox(pool);
    wecomClient = new WeComClient(vertx, config.pushTimeoutMs());
    WeComChannel wecom = new WeComChannel(vertx, wecomClient, new WeComStore(pool, new SecretBox(config.secretsKey())),
        notifications::current, config, metrics);
    Future<InstanceLock> instance = app.database().instanceLock(vertx);
    return instance
        .compose(lock -> wecom.start())
        .compose(v -> WebPush.start(vertx, pushStore, new SecretBox(config.secretsKey()),
            config.vapidSubjectOrDefault(), config.pushTimeoutMs()))
        .compose(webPush -> {
          push = webPush;
          InstanceLock lock = instance.result();
          OfflineSends sends = new OfflineSends(pool);
          OfflineSender sender = new OfflineSender(vertx, sends,
              List.of(new WebPushChannel(webPush, pushStore, inbox, metrics), wecom), lock, metrics);
          fanout = new Fanout(vertx.eventBus(), inbox, sends, sender, metrics, wecom::on);
          assigner = new Assigner(vertx, new Assignments(pool), users, sender, metrics, config.presenceTtlSeconds(),
              config.publicBaseUrl(), notifications::current, settings::current, this::broadcast, wecom::on);
          Escalation escalation = new Escalation(inbox, fanout, users, assigner, this::alertAdmins, settings::current,
              notifications::current, config.publicBaseUrl(), lock);
          // the engine's request and this node's alerts are handled here (local consumers, also when clustered);
          // the outbox nudge may come from any node
          MessageConsumer<NewCustomer> customers = vertx.eventBus().localConsumer(Addresses.NOTIFY_NEW_CUSTOMER,
              this::newCustomer);
          MessageConsumer<AdminAlert> alerts = vertx.eventBus().localConsumer(Addresses.ADMIN_ALERTS,
              this::adminAlert);
          MessageConsumer<Void> queued = vertx.eventBus().consumer(Addresses.ADMIN_ALERT_OUTBOX, m -> drainOutbox());
          vertx.setPeriodic(config.escalationCheckMs(), id -> escalation.check());
          vertx.setPeriodic(0, PRESENCE_GAUGE_MS, id -> presence.onlineConsultants().onSuccess(metrics::online));
          vertx.setPeriodic(OUTBOX_SWEEP_MS, id -> drainOutbox());
          vertx.setPeriodic(0, DUE_SWEEP_MS, id -> {
            sender.sweep();
            assigner.sweep();
          });
          return Future.join(customers.completion(), alerts.completion(), queued.completion(), settings.ready(),
                  notifications.ready())
              .onSuccess(v -> drainOutbox()); // what a crash left undelivered
        });
  }

  private void newCustomer(Message<NewCustomer> msg) {
    NewCustomer c = msg.body();
    Future.all(notifications.current(), users.card(c.customerId()))
        .compose(all -> {
          NotificationSettings n = all.resultAt(0);
          Optional<CustomerCard> found = all.resultAt(1);
          CustomerCard card = found.orElseGet(() -> new CustomerCard(c.customerId(), c.username(), c.username(),
              List.of(), null, c.registeredAt(), null));
          return n.offers() ? assigner.start(card, c.conversationId(), n, c.webPush())
              : broadcast(card, c.conversationId(), c.expectedResponseMinutes(), c.webPush(), n.ackSeconds(),
                  c.notifyAdmins(), c.jobId());
        })
        .onSuccess(result -> {
          try (LogFields fields = LogFields.of("job_id", c.jobId(), "user_id", c.customerId(), "conversation_id",
              c.conversationId())) {
            LOG.info("new customer notified: user_id={}, conversation_id={}, job_id={}, online={}, inbox={}, push={}, "
                    + "offered={}", c.customerId(), c.conversationId(), c.jobId(), result.online(), result.inbox(),
                result.push(), result.offered());
          }
          msg.reply(result);
        })
        .onFailure(t -> {
          LOG.warn("notifying consultants of {} failed: {}", c.conversationId(), t.getMessage());
          msg.fail(500, "notification failed: " + t.getMessage());
        });
  }

  /** An assignment that ends in everyone being told (nobody eligible, every offer timed out): today's settings. */
  private Future<NotifyResult> broadcast(Assigner.Broadcast b) {
    return Future.all(settings.current(), notifications.current()).compose(all -> {
      AutomationSettings s = all.resultAt(0);
      NotificationSettings n = all.resultAt(1);
      return broadcast(b.customer(), b.conversationId(), s.expectedResponseMinutes(), s.notifyWebPush(),
          n.ackSeconds(), s.notifyAdmins(), null);
    });
  }

  /** Every consultant told (live, inbox, offline channels); with nobody to tell, the admins (before the reply). */
  private Future<NotifyResult> broadcast(CustomerCard card, UUID conversation, int expectedMinutes, boolean webPush,
                                         int ackSeconds, boolean notifyAdmins, UUID jobId) {
    var payload = Payloads.newCustomer(card, conversation, expectedMinutes, app.config().publicBaseUrl(),
        Instant.now());
    return fanout.consultants("new_customer", "new_customer:" + conversation, payload, webPush, ackSeconds, true)
        .compose(result -> {
          if (result.reached() > 0 || !notifyAdmins) {
            return Future.succeededFuture(result);
          }
          // written before the reply, so a crash before it makes the job's step (and this alert) run again
          JsonObject details = new JsonObject().put("conversation_id", conversation.toString())
              .put("user_id", card.id().toString()).put("dedupe_key", "no_consultants:" + conversation);
          if (jobId != null) {
            details.put("job_id", jobId.toString());
          }
          return alertAdmins(new AdminAlert("no_consultants", "新客户 " + card.displayName()
              + " 已注册，但系统中没有可通知的顾问", details, Instant.now())).map(result);
        });
  }

  private void adminAlert(Message<AdminAlert> msg) {
    AdminAlert alert = msg.body();
    alertAdmins(alert).onFailure(t -> LOG.warn("admin alert {} could not be written: {}", alert.kind(),
        t.getMessage()));
  }

  /**
   * Delivers pending outbox alerts: each is leased, written to the admins' inboxes (idempotent by its dedupe key)
   * and only then marked delivered, so a pass that dies leaves it to a later one. One pass at a time.
   */
  private void drainOutbox() {
    if (draining) {
      drainAgain = true;
      return;
    }
    draining = true;
    drainAgain = false;
    outbox.lease(OUTBOX_BATCH, OUTBOX_LEASE_SECONDS)
        .compose(pending -> {
          List<Future<Void>> each = new ArrayList<>(pending.size());
          for (AlertOutbox.Pending p : pending) {
            JsonObject details = p.details().copy();
            details.put("dedupe_key", details.getString("dedupe_key", p.kind() + ":outbox:" + p.id()));
            each.add(alertAdmins(new AdminAlert(p.kind(), p.message(), details, p.createdAt()))
                .compose(v -> outbox.delivered(p.id())));
          }
          return Future.join(each).map(pending.size());
        })
        .onFailure(t -> LOG.warn("admin alert outbox not delivered yet (the next pass tries again): {}",
            t.getMessage()))
        .onComplete(ar -> {
          draining = false;
          if (drainAgain || (ar.succeeded() && ar.result() == OUTBOX_BATCH)) {
            drainOutbox();
          }
        });
  }

  /** An alert for admins: into every admin's inbox (and live), unless admin notifications are switched off. */
  private Future<Void> alertAdmins(AdminAlert alert) {
    return settings.current().compose(s -> {
      if (!s.notifyAdmins()) {
        metrics.adminAlert("switched_off");
        return Future.succeededFuture();
      }
      return fanout.admins(alert).map(n -> {
        if (n > 0) {
          LOG.info("admin alert {} written to {} admin inbox(es)", alert.kind(), n);
        }
        // nothing new: another node (or an earlier delivery) wrote it, or there is no active admin
        metrics.adminAlert(n > 0 ? "written" : "nothing_new");
        return null;
      });
    });
  }

  @Override
  public Future<?> stop() {
    if (metrics != null) {
      metrics.close();
    }
    if (wecomClient != null) {
      wecomClient.close();
    }
    return push == null ? Future.succeededFuture() : push.close();
  }
}
