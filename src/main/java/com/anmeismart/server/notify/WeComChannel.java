package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.WeComTest;
import com.anmeismart.server.bus.WeComTestResult;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.notify.wecom.TextCard;
import com.anmeismart.server.notify.wecom.WeComClient;
import com.anmeismart.server.notify.wecom.WeComConfig;
import com.anmeismart.server.notify.wecom.WeComStore;
import com.anmeismart.server.settings.NotificationSettings;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * WeCom (企业微信) application messages as an offline channel (SPEC §7, issue #15): a {@code textcard} with the new
 * customer (name, interests, source, waited time) and a 认领 link to the consultant page, to staff with a WeCom user
 * id, where the ladder sends Web Push. What WeCom answers decides the row: a msgid → sent; 45009/45033 (rate and
 * frequency limits) → retried from the row after {@link #THROTTLE_SECONDS}; the recipient unknown (81013, 40003, or
 * listed in {@code invaliduser} of a successful answer) → recorded for the console ({@link WeComStore}) and not
 * retried; no answer, or credentials WeCom refuses → retried on the ladder's back-off. WeCom's own
 * {@code enable_duplicate_check} is set too, as a second guard behind the row's uniqueness.
 */
final class WeComChannel implements OfflineChannel {

  static final String NAME = "wecom";
  /** A rate-limited send waits this long (from its row) before it tries again: SPEC §7, within 30 s of the limit. */
  static final double THROTTLE_SECONDS = 15;
  /** WeCom's duplicate check window for one card: the same card within it is not shown twice (max 4 h). */
  static final int DUPLICATE_CHECK_SECONDS = 1800;
  /** errcodes that mean "this recipient is not a member WeCom can reach" (81013: every recipient invalid). */
  private static final Set<Integer> UNKNOWN_USER = Set.of(81013, 40003, 60111);
  private static final Set<Integer> THROTTLED = Set.of(45009, 45033);
  private static final long CONFIG_TTL_MS = 5_000;
  /** The status waits this long for a token (the /ready check has 2 s); past it, it says "checking". */
  private static final long STATUS_WAIT_MS = 1_000;
  /** A refused token fetch is reported as it was for this long before the status asks WeCom again. */
  private static final long STATUS_RECHECK_MS = 30_000;

  private static final Logger LOG = LoggerFactory.getLogger(WeComChannel.class);

  private final Vertx vertx;
  private final WeComClient client;
  private final WeComStore store;
  private final Supplier<Future<NotificationSettings>> settings;
  private final AppConfig env;
  private final NotifyMetrics metrics;
  private Future<WeComConfig> config;
  private long configAt;
  private boolean on;
  private String lastError;
  private Instant lastSentAt;
  /**
   * Staff member → the WeCom user id WeCom refused for them (wecom_recipient_problems), read with the settings
   * every few seconds and kept up to date by this process's own sends: a send costs no query for it.
   */
  private Map<UUID, String> refused = new HashMap<>();
  private String tokenError;
  private long tokenErrorAt;

  WeComChannel(Vertx vertx, WeComClient client, WeComStore store, Supplier<Future<NotificationSettings>> settings,
               AppConfig env, NotifyMetrics metrics) {
    this.vertx = vertx;
    this.client = client;
    this.store = store;
    this.settings = settings;
    this.env = env;
    this.metrics = metrics;
  }

  /** Listens for settings changes and the test button and status requests; completes once they are registered. */
  Future<Void> start() {
    var changed = vertx.eventBus().<String>consumer(Addresses.SETTINGS_CHANGED, m -> {
      if (m.body() == null || SettingsStore.NOTIFICATION_KEY.equals(m.body())) {
        config = null;
        tokenError = null;
        config();
      }
    });
    var status = vertx.eventBus().localConsumer(Addresses.WECOM_STATUS, m -> status().onComplete(ar ->
        m.reply(ar.succeeded() ? ar.result() : new JsonObject().put("error", ar.cause().getMessage()))));
    var test = vertx.eventBus().<WeComTest>localConsumer(Addresses.WECOM_TEST, m -> test(m.body()).onComplete(ar ->
        m.reply(ar.succeeded() ? ar.result() : new WeComTestResult(false, null, -1,
            WeComClient.redact(ar.cause().getMessage())))));
    vertx.setPeriodic(CONFIG_TTL_MS, id -> config());
    return Future.all(changed.completion(), status.completion(), test.completion()).compose(v -> config())
        .mapEmpty();
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Whether staff get WeCom cards now (switched on and configured), as of the last read of the settings. */
  boolean on() {
    return on;
  }

  /** The settings in force: re-read every few seconds and at once when an admin changes them. */
  Future<WeComConfig> config() {
    long now = System.currentTimeMillis();
    if (config == null || config.failed() || now - configAt > CONFIG_TTL_MS) {
      configAt = now;
      config = Future.all(settings.get(), store.secret(), store.refusedIds()).map(all -> {
        NotificationSettings s = all.resultAt(0);
        Optional<String> secret = all.resultAt(1);
        refused = all.resultAt(2);
        WeComConfig c = WeComConfig.resolve(s, secret.orElse(null), env);
        on = c.usable();
        return c;
      });
    }
    return config;
  }

  @Override
  public Future<Outcome> send(OfflineSends.Due due) {
    JsonObject p = due.payload();
    String touser = p.getString("touser");
    return config().compose(c -> {
      if (!c.usable()) {
        return Future.succeededFuture(Outcome.failed("WeCom is off or not configured (" + c.missing() + ")"));
      }
      if (touser == null) {
        return Future.succeededFuture(Outcome.failed("no WeCom user id"));
      }
      TextCard card;
      try {
        card = card(p, c);
      } catch (IllegalArgumentException e) {
        return Future.succeededFuture(Outcome.failed(e.getMessage())); // a link WeCom can't take never will
      }
      if (touser.equalsIgnoreCase(refused.get(due.consultantId()))) {
        return Future.succeededFuture(Outcome.failed("WeCom refused user id " + touser + " earlier; not tried again"));
      }
      return client.send(c, message(touser, card)).compose(a -> outcome(due, touser, a),
              t -> {
                lastError = WeComClient.redact(t.getMessage());
                // no answer, or gettoken refused (credentials, trusted IP): both may pass, so the row waits
                metrics.wecom(t instanceof WeComClient.WeComException w && w.errcode() > 0 ? "refused" : "no_answer");
                return Future.succeededFuture(Outcome.retry(lastError));
              });
    });
  }

  private Future<Outcome> outcome(OfflineSends.Due due, String touser, WeComClient.Answer a) {
    if (a.ok() && a.invalidUsers().stream().noneMatch(touser::equalsIgnoreCase)) {
      lastSentAt = Instant.now();
      metrics.wecom("sent");
      metrics.sent(NAME, 1);
      // a recorded problem is over (the common case, none, costs no query)
      return refused.remove(due.consultantId()) == null ? Future.succeededFuture(Outcome.sent(a.msgid()))
          : store.reached(due.consultantId()).map(Outcome.sent(a.msgid()));
    }
    String error = "errcode " + a.errcode() + " " + a.errmsg();
    if (a.ok() || UNKNOWN_USER.contains(a.errcode())) {
      String why = a.ok() ? "invaliduser: WeCom does not know user id " + touser : error;
      LOG.warn("WeCom refused staff member {}'s user id {}: {} (shown in the console; not retried)",
          due.consultantId(), touser, why);
      metrics.wecom("unknown_user");
      refused.put(due.consultantId(), touser);
      return store.refused(due.consultantId(), touser, a.errcode(), why).map(Outcome.failed(why));
    }
    lastError = error;
    if (THROTTLED.contains(a.errcode())) {
      metrics.wecom("throttled");
      return Future.succeededFuture(Outcome.throttled(error, THROTTLE_SECONDS));
    }
    metrics.wecom("refused");
    // anything else (credentials, IP not trusted, agent id): an admin can fix it, so the row is tried again
    return Future.succeededFuture(Outcome.retry(error));
  }

  /** The card for a row's payload ({@link Payloads#wecom}); the waited time as of now. */
  static TextCard card(JsonObject p, WeComConfig c) {
    JsonObject customer = p.getJsonObject("customer", new JsonObject());
    List<TextCard.Line> lines = new ArrayList<>();
    lines.add(new TextCard.Line("gray", p.getString("kind_label", "新客户")));
    lines.add(new TextCard.Line("highlight", "客户：" + customer.getString("display_name", "")));
    JsonArray interests = customer.getJsonArray("interests", new JsonArray());
    if (!interests.isEmpty()) {
      lines.add(new TextCard.Line("normal", "感兴趣：" + String.join("、", interests.stream().map(String::valueOf)
          .toList())));
    }
    if (customer.getString("source") != null) {
      lines.add(new TextCard.Line("normal", "来源：" + customer.getString("source")));
    }
    String registered = customer.getString("registered_at");
    if (registered != null) {
      long minutes = Math.max(0, Duration.between(Instant.parse(registered), Instant.now()).toMinutes());
      lines.add(new TextCard.Line("normal", minutes < 1 ? "已等待：不到 1 分钟" : "已等待：" + minutes + " 分钟"));
    }
    String link = p.getString("link", "");
    if (!link.startsWith("http") && c.publicBaseUrl() != null) {
      link = c.publicBaseUrl().replaceAll("/+$", "") + link;
    }
    return TextCard.of(p.getString("title", "新客户注册"), lines, link, "认领");
  }

  private static JsonObject message(String touser, TextCard card) {
    return new JsonObject().put("touser", touser).put("msgtype", "textcard").put("textcard", card.toJson())
        .put("enable_duplicate_check", 1).put("duplicate_check_interval", DUPLICATE_CHECK_SECONDS);
  }

  /** The console's "send a test message to me". */
  private Future<WeComTestResult> test(WeComTest t) {
    return config().compose(c -> {
      if (!c.usable()) {
        return Future.succeededFuture(new WeComTestResult(false, null, -1, "WeCom is off or not configured ("
            + c.missing() + ")"));
      }
      String link = c.publicBaseUrl() == null ? "/admin/" : c.publicBaseUrl().replaceAll("/+$", "") + "/admin/";
      TextCard card = TextCard.of("企业微信通知测试", List.of(
          new TextCard.Line("gray", "安美智享 · 测试消息"),
          new TextCard.Line("normal", t.displayName() + "，这是一条测试消息：新客户提醒会以这样的卡片发给顾问。")),
          link, "查看");
      JsonObject message = message(t.wecomUserid(), card).put("enable_duplicate_check", 0);
      return client.send(c, message).map(a -> {
        boolean reached = a.ok() && a.invalidUsers().stream().noneMatch(t.wecomUserid()::equalsIgnoreCase);
        if (reached) {
          lastSentAt = Instant.now();
          return new WeComTestResult(true, a.msgid(), 0, null);
        }
        return new WeComTestResult(false, null, a.errcode(), a.ok()
            ? "invaliduser: WeCom does not know user id " + t.wecomUserid() : a.errmsg());
      }).recover(e -> Future.succeededFuture(new WeComTestResult(false, null,
          e instanceof WeComClient.WeComException w ? w.errcode() : -1, WeComClient.redact(e.getMessage()))));
    });
  }

  /**
   * {@code {enabled, configured, missing, token: ok|unavailable|off, error, token_fetches, last_sent_at}}: for /ready
   * (reported, never a reason to be unready) and the console. Asking for a token is what tells whether WeCom takes
   * the credentials; a cached one answers at once.
   */
  Future<JsonObject> status() {
    return config().compose(c -> {
      JsonObject s = new JsonObject().put("enabled", c.enabled()).put("configured", c.usable())
          .put("missing", c.missing()).put("base_url", c.baseUrl())
          .put("last_sent_at", lastSentAt == null ? null : lastSentAt.toString());
      s.put("token_fetches", client.tokenFetches()).put("last_error", lastError);
      if (!c.usable()) {
        return Future.succeededFuture(s.put("token", "off"));
      }
      long now = System.currentTimeMillis();
      if (tokenError != null && now - tokenErrorAt < STATUS_RECHECK_MS) {
        // a probe every few seconds must not become a gettoken request each time WeCom refuses the credentials
        return Future.succeededFuture(s.put("token", "unavailable").put("error", tokenError));
      }
      Promise<JsonObject> answer = Promise.promise();
      long timer = vertx.setTimer(STATUS_WAIT_MS, id -> answer.tryComplete(s.copy().put("token", "checking")));
      client.token(c).onComplete(ar -> {
        vertx.cancelTimer(timer);
        if (ar.succeeded()) {
          tokenError = null;
          answer.tryComplete(s.put("token", "ok"));
        } else {
          tokenError = WeComClient.redact(ar.cause().getMessage());
          tokenErrorAt = System.currentTimeMillis();
          answer.tryComplete(s.put("token", "unavailable").put("error", tokenError));
        }
      });
      return answer.future();
    });
  }
}
