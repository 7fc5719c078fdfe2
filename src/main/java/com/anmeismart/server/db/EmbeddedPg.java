package com.anmeismart.server.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;

/**
 * The embedded PostgreSQL (zonky, real binaries), its cluster kept in {@code DATA_DIR/pg} across restarts.
 *
 * <p>A lock on {@code DATA_DIR/pg.lock} makes sure one server process owns the directory. Holding it also proves
 * that a postmaster still listed in {@code postmaster.pid} is an orphan of a process that was killed (its shutdown
 * hook never ran), so it is stopped before the new start instead of failing on the stale lock.
 */
final class EmbeddedPg implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPg.class);

  private final EmbeddedPostgres postgres;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private EmbeddedPg(EmbeddedPostgres postgres, FileChannel lockChannel, FileLock lock) {
    this.postgres = postgres;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  static EmbeddedPg start(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path pgDir = dataDir.resolve("pg");
    FileChannel channel = FileChannel.open(dataDir.resolve("pg.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null; // held by this very JVM (a second server started in-process)
    }
    if (lock == null) {
      channel.close();
      throw new IllegalStateException("DATA_DIR " + dataDir.toAbsolutePath()
          + " is in use by another server process (its embedded PostgreSQL is locked)");
    }
    try {
      stopOrphan(pgDir);
      long t0 = System.nanoTime();
      EmbeddedPostgres pg = EmbeddedPostgres.builder()
          .setDataDirectory(pgDir)
          .setCleanDataDirectory(false)
          .setPGStartupWait(Duration.ofSeconds(30))
          .setServerConfig("max_connections", "300")
          .setServerConfig("listen_addresses", "localhost")
          // zonky is made for tests and turns durability off (-F, synchronous_commit=off); this is the data itself
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .start();
      LOG.info("database: embedded PostgreSQL in {} on port {} (started in {} ms)",
          pgDir.toAbsolutePath(), pg.getPort(), (System.nanoTime() - t0) / 1_000_000);
      return new EmbeddedPg(pg, channel, lock);
    } catch (IOException | RuntimeException e) {
      lock.release();
      channel.close();
      throw e;
    }
  }

  int port() {
    return postgres.getPort();
  }

  /** Stops a postmaster left running by a killed process; we hold the directory lock, so it is nobody's. */
  private static void stopOrphan(Path pgDir) throws IOException {
    Path pidFile = pgDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String first = Files.readAllLines(pidFile, StandardCharsets.US_ASCII).stream().findFirst().orElse("").trim();
    long pid;
    try {
      pid = Long.parseLong(first);
    } catch (NumberFormatException e) {
      return;
    }
    ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
        .ifPresent(p -> {
          LOG.warn("database: stopping orphaned embedded PostgreSQL (pid {}) left by a killed process", pid);
          p.destroy(); // SIGTERM: a smart shutdown, its clients are gone
          Instant deadline = Instant.now().plusSeconds(30);
          while (p.isAlive() && Instant.now().isBefore(deadline)) {
            p.onExit().orTimeout(1, java.util.concurrent.TimeUnit.SECONDS).exceptionally(x -> p).join();
          }
          if (p.isAlive()) {
            p.destroyForcibly();
          }
        });
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("database: embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    } finally {
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException ignored) {
        // the process is ending; the OS drops the lock anyway
      }
    }
  }
}
