package com.anmeismart.server.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

/**
 * A PostgreSQL server for the bench scripts ({@code bench/cluster.sh up} without {@code PG_URL}): the zonky binaries
 * the build already has, as a server of its own that several server processes share (the embedded mode of the
 * product belongs to one process). Prints {@code PG_URL=…} once it accepts connections and runs until it gets
 * SIGTERM, then stops PostgreSQL and removes its data.
 * Args: data directory, port (0: a free one).
 */
public final class PgServer {

  private PgServer() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("anmei-bench-pg");
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    var builder = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
        // three nodes' pools and the bench's own connections
        .setServerConfig("max_connections", "300")
        // as in production; zonky turns it off
        .setServerConfig("synchronous_commit", "on");
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres pg = builder.start();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE anmeismart");
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        pg.close();
      } catch (Exception ignored) {
        // the JVM is ending
      } finally {
        stopped.countDown();
      }
    }));
    // the one line bench/cluster.sh waits for (stdout, not the log)
    System.out.println("PG_URL=postgresql://postgres@localhost:" + pg.getPort() + "/anmeismart");
    System.out.flush();
    stopped.await();
  }
}
