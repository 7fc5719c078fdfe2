package com.anmeismart.server.notify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.AdminAlert;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.ops.LogFields;
import com.anmeismart.server.security.SecretBox;
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

/**
 * Tells consultants about new customers (SPEC §7, R003): on {@code notify.new-customer} each online consultant
 * gets the notification live over the bridge, offline consultants get an inbox entry and a Web Push message, and
 * with no consultant at all the admins are told; the reply is what happened. Also turns {@code admin.alerts} and
 * the admin-alert outbox (dead jobs) into admin inbox entries, and escalates customers nobody claimed in time.
 */
public final class NotificationVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(NotificationVerticle.class);
  private static final long PRESENCE_GAUGE_MS = 5_000;
  /** How often pending outbox alerts are looked for besides the nudge (a nudge lost with a crashed node). */
  private static final long OUTBOX_SWEEP_MS = 5_000;
  private static final int OUTBOX_BATCH = 50;
  /** How long a pass may take over an outbox alert before another pass may deliver it. */
  private static final int OUTBOX_LEASE_SECONDS = 60;

  private final AppContext app;
  private Inbox inbox;
  private Fanout fanout;
  private WebPush push;
  private NotifyMetrics metrics;
  private SettingsCache settings;
  private AlertOutbox outbox;
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
    // commit before it; the worst is a repeated live copy or Web Push. (The inbox API's reads and marks use the
    // durable pool.)
    inbox = new Inbox(app.database().redoablePool(vertx), config.presenceTtlSeconds());
    settings = new SettingsCache(vertx, new SettingsStore(pool, null));
    metrics = new NotifyMetrics(app.metrics());
    PushStore pushStore = new PushStore(pool);
    outbox = new AlertOutbox(pool);
    Future<InstanceLock> instance = app.database().instanceLock(vertx);
    return instance
        .compose(lock -> WebPush.start(vertx, pushStore, new SecretBox(config.secretsKey()),
            config.vapidSubjectOrDefault(), config.pushTimeoutMs()))
        .compose(webPush -> {
          push = webPush;
          fanout = new Fanout(vertx.eventBus(), inbox, pushStore, webPush, metrics);
          Escalation escalation = new Escalation(inbox, fanout, this::alertAdmins, settings::current,
              config.publicBaseUrl(), instance.result());
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
          return Future.join(customers.completion(), alerts.completion(), queued.completion(), settings.ready())
              .onSuccess(v -> drainOutbox()); // what a crash left undelivered
        });
  }

  private void newCustomer(Message<NewCustomer> msg) {
    NewCustomer c = msg.body();
    var payload = Payloads.newCustomer(c.customerId(), c.username(), c.registeredAt(), c.conversationId(),
        c.expectedResponseMinutes(), app.config().publicBaseUrl(), Instant.now());
    fanout.consultants("new_customer", "new_customer:" + c.conversationId(), payload, c.conversationId(),
            c.webPush(), c.customerId())
        .compose(result -> {
          if (result.reached() > 0 || !c.notifyAdmins()) {
            return Future.succeededFuture(result);
          }
          // written before the reply, so a crash before it makes the job's step (and this alert) run again
          return alertAdmins(new AdminAlert("no_consultants",
              "新客户 " + c.username() + " 已注册，但系统中没有可通知的顾问",
              new JsonObject().put("conversation_id", c.conversationId().toString())
                  .put("user_id", c.customerId().toString()).put("job_id", c.jobId().toString())
                  .put("dedupe_key", "no_consultants:" + c.conversationId()),
              Instant.now())).map(result);
        })
        .onSuccess(result -> {
          try (LogFields fields = LogFields.of("job_id", c.jobId(), "user_id", c.customerId(), "conversation_id",
              c.conversationId())) {
            LOG.info("new customer notified: user_id={}, conversation_id={}, job_id={}, online={}, inbox={}, push={}",
                c.customerId(), c.conversationId(), c.jobId(), result.online(), result.inbox(), result.push());
          }
          msg.reply(result);
        })
        .onFailure(t -> {
          LOG.warn("notifying consultants of {} failed: {}", c.conversationId(), t.getMessage());
          msg.fail(500, "notification failed: " + t.getMessage());
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
    return push == null ? Future.succeededFuture() : push.close();
  }
}
