package com.anmeismart.server.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * One real PostgreSQL for the whole test JVM (zonky binaries, like the product's embedded mode). Each test class
 * gets a fresh database of its own and reaches it through {@code PG_URL}, the external-server path of the product.
 */
public final class TestPg {

  private static EmbeddedPostgres pg;

  private TestPg() {
  }

  private static synchronized EmbeddedPostgres server() {
    if (pg == null) {
      try {
        pg = EmbeddedPostgres.builder()
            .setDataDirectory(Files.createTempDirectory("anmei-test-pg"))
            .setCleanDataDirectory(true)
            .setServerConfig("max_connections", "500")
            // as in production; zonky turns it off (fsync stays off: test data needs no durability)
            .setServerConfig("synchronous_commit", "on")
            .start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          pg.close();
        } catch (IOException ignored) {
          // the JVM is ending
        }
      }));
    }
    return pg;
  }

  /** A new, empty database; returns its {@code PG_URL}. */
  public static String newDatabase() {
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return url(name);
  }

  public static String url(String database) {
    return "postgresql://postgres@localhost:" + server().getPort() + "/" + database;
  }

  /** JDBC access for assertions on what was stored. */
  public static Connection jdbc(String pgUrl) throws SQLException {
    String db = pgUrl.substring(pgUrl.lastIndexOf('/') + 1);
    return server().getDatabase("postgres", db).getConnection();
  }
}
