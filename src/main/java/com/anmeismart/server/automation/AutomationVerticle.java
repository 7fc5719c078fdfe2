package com.anmeismart.server.automation;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.settings.SettingsCache;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registration-automation engine. Jobs are rows; this verticle claims due ones ({@code FOR UPDATE SKIP LOCKED},
 * a lease per claim) when the bus wakes it and on a periodic sweep, and runs up to {@code AUTOMATION_CONCURRENCY}
 * at once. Any number of engines (verticles, processes) can share one database: a job runs in one place at a time.
 * A crashed engine's jobs are claimed again at the next sweep of any other engine: each claim is stamped with the
 * process's instance number, and PostgreSQL frees the instance's lock when the process dies ({@link InstanceLock});
 * an engine alive but stuck loses its jobs when their lease ends.
 */
public final class AutomationVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AutomationVerticle.class);
  private static final long STATUS_REFRESH_MS = 5_000;
  private static final long DRAIN_MS = 5_000;

  private final AppContext app;
  private final Map<UUID, UUID> inflight = new ConcurrentHashMap<>(); // job id → lease token
  private final AtomicInteger inflightCount = new AtomicInteger();
  /** Lease tokens of jobs whose outcome couldn't be written (the database went away mid-job): handed back later. */
  private final Set<UUID> handBack = ConcurrentHashMap.newKeySet();
  private JobStore store;
  private SettingsCache<AutomationSettings> settings;
  private JobRunner runner;
  private AutomationMetrics metrics;
  private InstanceLock instance;
  private String owner;
  private boolean claiming;
  private boolean moreDue;
  private boolean stopping;
  private Promise<Void> drained;

  public AutomationVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    store = new JobStore(app.database().redoablePool(vertx));
    settings = SettingsCache.automation(vertx, new SettingsStore(app.database().pool(vertx), null));
    metrics = new AutomationMetrics(app.metrics(), inflightCount);
    runner = new JobRunner(vertx.eventBus(), store, metrics);
    AppConfig config = app.config();
    return app.database().instanceLock(vertx).compose(lock -> {
      instance = lock;
      owner = ManagementFactory.getRuntimeMXBean().getName() + "/" + deploymentID() + " instance " + lock.number();
      MessageConsumer<Void> wake = vertx.eventBus().consumer(Addresses.AUTOMATION_WAKE, msg -> claim());
      vertx.setPeriodic(config.automationSweepMs(), id -> sweep());
      vertx.setPeriodic(0, STATUS_REFRESH_MS, id -> store.countByStatus().onSuccess(metrics::statusCounts));
      return Future.join(wake.completion(), settings.ready()).onSuccess(v -> sweep());
    });
  }

  /**
   * The periodic look: jobs this engine couldn't finish recording are handed back, dead engines' jobs are made due,
   * then due jobs are claimed.
   */
  private void sweep() {
    if (stopping || !instance.held()) {
      return;
    }
    handBack()
        .compose(v -> store.endDeadLeases(instance.number()))
        .onSuccess(freed -> freed.forEach((dead, jobs) -> LOG.warn("instance {} is gone (its lock is free): its {} "
            + "running job(s) are due now", dead, jobs)))
        .onFailure(t -> LOG.warn("looking for dead engines' jobs failed (the next sweep tries again): {}",
            t.getMessage()))
        .onComplete(ar -> claim());
  }

  /**
   * A job cut off by a database outage (a restart, a failover) couldn't record its step's failure either, so it is
   * still leased here; this process lives, so its instance lock is taken again and nobody would take the job over
   * before the lease ends (a minute by default). Handing it back as soon as the database answers makes it due at
   * once, and the outage doesn't count as an attempt. Only this lease is named: a job someone else leases meanwhile
   * is untouched, and one whose outcome was written after all has no lease left to match.
   */
  private Future<Void> handBack() {
    if (handBack.isEmpty()) {
      return Future.succeededFuture();
    }
    List<UUID> tokens = List.copyOf(handBack);
    return store.release(tokens).map(n -> {
      tokens.forEach(handBack::remove);
      if (n > 0) { // none: their outcome was written after all, or another engine leases them now
        LOG.info("handed back {} job(s) cut off by a database outage: due now", n);
      }
      return (Void) null;
    }).recover(t -> Future.succeededFuture()); // still unreachable: the next sweep tries again
  }

  /** Claims as many due jobs as there are free slots, and starts them. Never two claims at once. */
  private void claim() {
    int free = app.config().automationConcurrency() - inflight.size();
    if (stopping || free <= 0 || claiming || !instance.held()) {
      moreDue = true; // without the instance lock, the sweep after it is taken again claims
      return;
    }
    claiming = true;
    moreDue = false;
    settings.current()
        .compose(s -> store.claim(owner, instance.number(), app.config().automationLeaseSeconds(), free).map(jobs -> {
          jobs.forEach(job -> start(job, s));
          if (jobs.size() == free) {
            moreDue = true; // a full batch: probably more are due
          }
          return null;
        }))
        .onFailure(t -> LOG.warn("claiming jobs failed (the sweep tries again): {}", t.getMessage()))
        .onComplete(ar -> {
          claiming = false;
          if (moreDue && !stopping && inflight.size() <= app.config().automationConcurrency() / 2) {
            claim();
          }
        });
  }

  private void start(ClaimedJob job, AutomationSettings s) {
    inflight.put(job.id(), job.leaseToken());
    inflightCount.set(inflight.size());
    runner.run(job, s)
        .onFailure(t -> {
          LOG.warn("job {} could not record its outcome (handed back once the database answers): {}", job.id(),
              t.getMessage());
          handBack.add(job.leaseToken());
        })
        .onComplete(ar -> {
          inflight.remove(job.id());
          inflightCount.set(inflight.size());
          if (stopping && inflight.isEmpty() && drained != null) {
            drained.tryComplete();
          } else if (moreDue && inflight.size() <= app.config().automationConcurrency() / 2) {
            claim();
          }
        });
  }

  /**
   * A graceful stop: no new claims, running jobs get a few seconds to finish, the rest are handed back at once
   * so another engine (or this one, restarted) picks them up without waiting for the lease to end.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    metrics.close();
    if (inflight.isEmpty() && handBack.isEmpty()) {
      return Future.succeededFuture();
    }
    drained = Promise.promise();
    if (inflight.isEmpty()) {
      drained.complete();
    }
    long timer = vertx.setTimer(DRAIN_MS, id -> drained.tryComplete());
    return drained.future().compose(v -> {
      vertx.cancelTimer(timer);
      List<UUID> tokens = new ArrayList<>(inflight.values());
      tokens.addAll(handBack);
      return store.release(tokens).onSuccess(n -> {
        if (n > 0) {
          LOG.info("handed back {} unfinished job(s) at stop", n);
        }
      });
    }).recover(t -> Future.succeededFuture());
  }
}
