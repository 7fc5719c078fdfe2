package com.anmeismart.server.bench.chaos;

import ch.qos.logback.classic.Level;
import com.anmeismart.server.testing.JarProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server of its own for the run, apart from the server under test (which reaches it through
 * {@code PG_URL}): the zonky binaries the build already has, a data directory and a port fixed for the run, so it
 * can be stopped and started again as an operator would. Nothing is installed and nothing outlives the run.
 */
final class ExternalPg implements AutoCloseable {

  final int port;
  private final Path dataDir;
  private EmbeddedPostgres pg;

  ExternalPg(Path dir) throws IOException {
    this.dataDir = dir.resolve("pg");
    this.port = JarProcess.freePort();
  }

  String pgUrl() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  ExternalPg start() throws IOException {
    pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("max_connections", "300")
        // zonky turns durability off for tests; this stands for a production server
        .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
        .start();
    return this;
  }

  /** {@code pg_ctl stop -m fast}: sessions are terminated (57P01), then connections are refused until the start. */
  void stopFast() throws IOException {
    pg.close();
    pg = null;
  }

  /**
   * An immediate shutdown (SIGQUIT to the postmaster, what {@code pg_ctl stop -m immediate} sends): every backend
   * quits at once without a checkpoint, as in a crash; the next start replays the WAL.
   */
  void crash() throws IOException, InterruptedException {
    long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.US_ASCII).get(0)
        .trim());
    Process kill = new ProcessBuilder("kill", "-QUIT", String.valueOf(pid)).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -QUIT " + pid + " failed");
    }
    ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(60, TimeUnit.SECONDS).join());
    // zonky's close now only finds the server gone (its pg_ctl stop fails and it says so at ERROR): quiet, it
    // releases the directory's lock file so the next start can take it
    ch.qos.logback.classic.Logger zonky = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.zonky");
    Level level = zonky.getLevel();
    zonky.setLevel(Level.OFF);
    try {
      pg.close();
    } finally {
      zonky.setLevel(level);
      pg = null;
    }
  }

  @Override
  public void close() throws IOException {
    if (pg != null) {
      pg.close();
      pg = null;
    }
  }
}
