package com.anmeismart.server.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server process's life, as PostgreSQL sees it. The process takes a number ({@code server_instance_seq}, never
 * reused) and holds the session-level advisory lock {@code (LOCK_CLASS, number)} on a connection of its own, not a
 * pooled one (a pool would hand the session to other work, or close it when idle). When the process dies — a
 * {@code kill -9}, a crash — the kernel closes its socket, its backend ends, and the lock is free at once. Leases
 * stamped with the number (the automation's jobs, the escalation pass) are then claimable by any other process at
 * once instead of when they run out; see {@link #dead}. The lease's end stays the backstop for a process alive but
 * stuck, and for a host that vanished without closing its sockets (TCP keepalive on this connection makes
 * PostgreSQL notice that in about {@value #KEEPALIVE_IDLE_S} + {@value #KEEPALIVE_COUNT} ×
 * {@value #KEEPALIVE_INTERVAL_S} seconds).
 *
 * <p>If the connection drops while the process lives (a database restart, a network cut, a terminated backend),
 * {@link #held()} turns false at once, the claimers stop claiming, and the lock is taken again for the same number
 * (so jobs still running here count as alive again) as soon as PostgreSQL lets go of the old session. Meanwhile
 * another process may take over this process's jobs: every write of a job names its lease token, so whatever this
 * process still does for them changes nothing. A heartbeat on the connection notices a connection that died
 * silently.
 */
public final class InstanceLock {

  private static final Logger LOG = LoggerFactory.getLogger(InstanceLock.class);
  /** The advisory-lock class of server instances ("anme"): two-int locks, apart from any other user's locks. */
  public static final int LOCK_CLASS = 0x616e6d65;
  static final int KEEPALIVE_IDLE_S = 5;
  static final int KEEPALIVE_INTERVAL_S = 2;
  static final int KEEPALIVE_COUNT = 3;
  private static final long HEARTBEAT_MS = 5_000;
  private static final long RETRY_MS = 1_000;

  private static final String TAKE_NEW = "SELECT n, pg_try_advisory_lock(" + LOCK_CLASS + ", n) AS locked, "
      + "set_config('application_name', 'anmeismart instance ' || n, false) "
      + "FROM (SELECT nextval('server_instance_seq')::int AS n) s";
  private static final String TAKE_AGAIN = "SELECT pg_try_advisory_lock(" + LOCK_CLASS + ", $1) AS locked, "
      + "set_config('application_name', 'anmeismart instance ' || $1, false)";

  private final Vertx vertx;
  private final PgConnectOptions options;
  private volatile boolean held;
  private volatile int number;
  private PgConnection connection;
  private long heartbeat = -1;
  private volatile boolean closed;

  private InstanceLock(Vertx vertx, PgConnectOptions options) {
    this.vertx = vertx;
    // the server side probes an idle client, so a vanished host frees the lock in seconds, not hours
    this.options = new PgConnectOptions(options).setCachePreparedStatements(false)
        .addProperty("tcp_keepalives_idle", String.valueOf(KEEPALIVE_IDLE_S))
        .addProperty("tcp_keepalives_interval", String.valueOf(KEEPALIVE_INTERVAL_S))
        .addProperty("tcp_keepalives_count", String.valueOf(KEEPALIVE_COUNT));
  }

  /** Takes a new instance number and its lock; fails if the database can't be reached. */
  static Future<InstanceLock> acquire(Vertx vertx, PgConnectOptions options) {
    InstanceLock lock = new InstanceLock(vertx, options);
    return lock.takeNew(5).map(lock);
  }

  /**
   * How many server processes are alive now: the instance locks held (two-int advisory locks of {@link #LOCK_CLASS}
   * show in {@code pg_locks} as classid = the first int, objid = the second, objsubid = 2). Read by the MCP quotas to
   * share each key's limits among the nodes.
   */
  public static final String LIVE_INSTANCES = "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' "
      + "AND classid = " + Integer.toUnsignedLong(LOCK_CLASS) + " AND objsubid = 2 AND granted";

  /**
   * SQL that is true when the instance numbered by {@code column} has no live process (its lock is free). It takes
   * the free lock for the calling transaction only, so it ends with that transaction; a live instance's lock, held
   * by its own session, makes it false without waiting. NULL (a lease from before instance numbers) is not dead.
   */
  public static String dead(String column) {
    return "pg_try_advisory_xact_lock(" + LOCK_CLASS + ", " + column + ")";
  }

  /**
   * SQL that is true while the instance numbered by {@code parameter} is held by its process: a claim that checks it
   * stamps nothing when this process's own lock is gone (the connection dropped and others may take its work).
   */
  public static String alive(String parameter) {
    return "NOT " + dead(parameter);
  }

  /** This process's instance number, stamped on what it leases. */
  public int number() {
    return number;
  }

  /** Whether the lock is held now; claimers claim nothing while it isn't. */
  public boolean held() {
    return held;
  }

  private Future<Void> takeNew(int tries) {
    return PgConnection.connect(vertx, options).compose(conn -> conn.query(TAKE_NEW).execute().compose(rows -> {
      Row r = rows.iterator().next();
      if (!r.getBoolean("locked")) {
        // another program uses this lock class: take the next number
        conn.close();
        return tries > 1 ? takeNew(tries - 1)
            : Future.failedFuture(new IllegalStateException("no free instance lock after 5 numbers"));
      }
      number = r.getInteger("n");
      hold(conn);
      LOG.info("instance {}: holding PostgreSQL advisory lock ({}, {}) while this process lives", number, LOCK_CLASS,
          number);
      return Future.succeededFuture();
    }, t -> {
      conn.close();
      return Future.failedFuture(t);
    }));
  }

  private void hold(PgConnection conn) {
    connection = conn;
    held = true;
    conn.closeHandler(v -> lost("connection closed"));
    conn.exceptionHandler(t -> LOG.debug("instance {}: lock connection error: {}", number, t.getMessage()));
    heartbeat = vertx.setPeriodic(HEARTBEAT_MS, id -> beat(conn));
  }

  /** A query that must answer within the period; a connection that died silently is closed, which counts as lost. */
  private void beat(PgConnection conn) {
    Promise<Void> answered = Promise.promise();
    long timer = vertx.setTimer(HEARTBEAT_MS, id -> {
      if (answered.tryFail("no answer")) {
        LOG.warn("instance {}: lock connection silent for {} ms, closing it", number, HEARTBEAT_MS);
        conn.close();
      }
    });
    conn.query("SELECT 1").execute().onComplete(ar -> {
      vertx.cancelTimer(timer);
      answered.tryComplete();
    });
  }

  private void lost(String why) {
    if (!held) {
      return;
    }
    held = false;
    vertx.cancelTimer(heartbeat);
    connection = null;
    if (closed) {
      return;
    }
    LOG.warn("instance {}: lost the advisory lock ({}); not claiming work until it is taken again", number, why);
    retake();
  }

  /** Same number, so jobs still running here are alive again; PostgreSQL frees it once the old session is gone. */
  private void retake() {
    vertx.setTimer(RETRY_MS, id -> {
      if (closed) {
        return;
      }
      PgConnection.connect(vertx, options)
          .compose(conn -> conn.preparedQuery(TAKE_AGAIN).execute(Tuple.of(number)).compose(rows -> {
            if (rows.iterator().next().getBoolean("locked")) {
              return Future.succeededFuture(conn);
            }
            conn.close();
            return Future.failedFuture("the old session still holds it");
          }, t -> {
            conn.close();
            return Future.failedFuture(t);
          }))
          .onSuccess(conn -> {
            if (closed) {
              conn.close();
              return;
            }
            hold(conn);
            LOG.info("instance {}: advisory lock taken again", number);
          })
          .onFailure(t -> {
            LOG.debug("instance {}: lock not taken yet: {}", number, t.getMessage());
            retake();
          });
    });
  }

  /** Releases the lock (a graceful stop): this instance's leases become claimable at once. */
  public Future<Void> close() {
    closed = true;
    PgConnection conn = connection;
    held = false;
    vertx.cancelTimer(heartbeat);
    return conn == null ? Future.succeededFuture() : conn.close();
  }
}
