package com.anmeismart.server.db;

import com.anmeismart.server.config.AppConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Where the data lives: an external PostgreSQL from {@code PG_URL}, or the embedded one in {@code DATA_DIR}.
 * {@link #open} and {@link #migrate} block (process start, JDBC): call them off the event loop, once, at start.
 * Runtime access goes through the reactive {@link #pool}.
 */
public final class Database implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  /** Name of the shared reactive pool: every verticle instance that asks for it gets the same connections. */
  private static final String POOL_NAME = "anmeismart-pg";

  private final PgConnectOptions connectOptions;
  private final EmbeddedPg embedded;
  private final int poolSize;
  private Future<InstanceLock> instanceLock;

  private Database(PgConnectOptions connectOptions, EmbeddedPg embedded, int poolSize) {
    // Named statements, prepared once per connection: without the cache every execution is parsed and planned
    // again, and for the MCP profile query (five sub-selects) planning costs PostgreSQL several times the execution.
    // Schema changes happen only in the migrations, before any pool exists, so a cached plan can't go stale.
    this.connectOptions = connectOptions.setCachePreparedStatements(true);
    this.embedded = embedded;
    this.poolSize = poolSize;
  }

  /** Connects to {@code PG_URL}, or starts the embedded server when it is unset. */
  public static Database open(AppConfig config) throws IOException {
    if (config.pgUrl() != null) {
      PgConnectOptions options = PgConnectOptions.fromUri(config.pgUrl());
      LOG.info("database: external PostgreSQL at {}:{}/{}", options.getHost(), options.getPort(), options.getDatabase());
      return new Database(options, null, config.pgPoolSize());
    }
    EmbeddedPg pg = EmbeddedPg.start(config.dataDir());
    PgConnectOptions options = new PgConnectOptions()
        .setHost("localhost").setPort(pg.port()).setDatabase("postgres").setUser("postgres");
    return new Database(options, pg, config.pgPoolSize());
  }

  /** Applies the versioned migrations in {@code db/migration} (Flyway over JDBC). */
  public void migrate() {
    String url = "jdbc:postgresql://" + connectOptions.getHost() + ":" + connectOptions.getPort() + "/"
        + connectOptions.getDatabase();
    var result = Flyway.configure()
        .dataSource(url, connectOptions.getUser(), connectOptions.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate();
    LOG.info("database: schema at version {} ({} migration(s) applied now)",
        result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
        result.migrationsExecuted);
  }

  /** The shared reactive pool for {@code vertx}; each verticle asks for it in {@code start()}. */
  public Pool pool(Vertx vertx) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(poolSize).setShared(true).setName(POOL_NAME))
        .connectingTo(connectOptions)
        .using(vertx)
        .build();
  }

  /**
   * A pool whose commits don't wait for the WAL flush ({@code synchronous_commit=off}), for writes that are safe to
   * lose in a database crash because they can be redone: the automation's steps, each of which commits its effect
   * together with its progress marker, so a lost commit loses both and the step simply runs again. (Never for the
   * registration itself: the job row is written with the user, synchronously.)
   */
  public Pool redoablePool(Vertx vertx) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(poolSize).setShared(true).setName(POOL_NAME + "-redoable"))
        .connectingTo(connectOptions().addProperty("synchronous_commit", "off"))
        .using(vertx)
        .build();
  }

  /**
   * This process's {@link InstanceLock}, taken on first use (the app takes it at start, outside any verticle, so its
   * connection lives as long as Vert.x); the same for every caller after that. The future completes on the caller's
   * context: a callback on the shared future would run on the first caller's, and what a verticle registers there
   * (consumers, timers) would not be the verticle's, nor go away at its undeploy.
   */
  public Future<InstanceLock> instanceLock(Vertx vertx) {
    Future<InstanceLock> shared;
    synchronized (this) {
      if (instanceLock == null || instanceLock.failed()) {
        instanceLock = InstanceLock.acquire(vertx, connectOptions);
      }
      shared = instanceLock;
    }
    Context caller = vertx.getOrCreateContext();
    Promise<InstanceLock> onCaller = Promise.promise();
    shared.onComplete(ar -> caller.runOnContext(v -> onCaller.handle(ar)));
    return onCaller.future();
  }

  /** A copy: changing it leaves the pools' options alone. */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions(connectOptions);
  }

  public boolean isEmbedded() {
    return embedded != null;
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    }
  }
}
