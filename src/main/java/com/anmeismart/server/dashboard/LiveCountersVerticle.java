package com.anmeismart.server.dashboard;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.notify.Presence;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

/**
 * The console's live counters (SPEC §9), and the upkeep of the dashboard's facts (refreshed every minute, so a
 * dashboard read never has more than a minute of changes to catch up). Counters: while an admin or operator has
 * the console open (a bridge socket on {@code client.admins}, on any node), today's figures are read from
 * PostgreSQL every {@code CONSOLE_COUNTERS_MS} and published on {@code client.admins} as {@code {type:"counters",
 * date, registrations, succeeded, failed, dead, running, fallbacks, waiting_customers, consultants_online, at}} when
 * they changed. Every node publishes what it reads (the same rows), so a page may get a copy per node; it simply
 * shows the latest.
 */
public final class LiveCountersVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LiveCountersVerticle.class);
  static final String TYPE = "counters";
  /** The dashboard facts are kept this fresh even when nobody reads them, so no read has a backlog to catch up. */
  private static final long FACTS_REFRESH_MS = 60_000;

  private final AppContext app;
  private DashboardQueries queries;
  private Presence presence;
  private ZoneId zone;
  private JsonObject last;
  private boolean reading;

  public LiveCountersVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    Pool pool = app.database().pool(vertx);
    queries = new DashboardQueries(pool);
    presence = new Presence(pool, app.config().presenceTtlSeconds());
    zone = app.config().timeZone();
    vertx.setPeriodic(app.config().consoleCountersMs(), id -> tick());
    OnboardingFacts facts = new OnboardingFacts(pool, zone);
    // on a cluster one node (the oldest member) does both: the counters go to every admin page, on any node, once
    vertx.setPeriodic(FACTS_REFRESH_MS, id -> (app.node().oldest() ? facts.refresh() : Future.succeededFuture())
        .onFailure(t -> LOG.warn("dashboard facts not refreshed (the next read does it): {}", t.getMessage())));
    return Future.succeededFuture();
  }

  private void tick() {
    if (reading || !app.node().oldest()) {
      return; // the previous read is still running (a slow database): skip a beat rather than pile up
    }
    reading = true;
    presence.anyOnline(Roles.ADMIN, Roles.OPERATOR)
        .compose(watched -> watched ? read() : Future.succeededFuture((JsonObject) null))
        .onSuccess(counters -> {
          if (counters != null && !counters.equals(last)) {
            last = counters;
            vertx.eventBus().publish(Addresses.CLIENT_ADMINS, counters.copy().put("type", TYPE)
                .put("at", Instant.now().toString()));
          }
        })
        .onFailure(t -> LOG.debug("console counters not read: {}", t.getMessage()))
        .onComplete(ar -> reading = false);
  }

  private Future<JsonObject> read() {
    Future<JsonObject> today = queries.today(zone);
    Future<Long> waiting = queries.waitingCustomers();
    Future<Long> online = presence.onlineConsultants();
    return Future.all(today, waiting, online).map(v -> today.result().put("date", LocalDate.now(zone).toString())
        .put("waiting_customers", waiting.result()).put("consultants_online", online.result()));
  }
}
