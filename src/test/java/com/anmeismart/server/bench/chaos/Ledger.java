package com.anmeismart.server.bench.chaos;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * What the database holds at the end of a run, read over plain JDBC (independent of the product's code): for every
 * customer of the run, their conversations, AI messages and welcomes, their automation jobs and the job's state.
 */
final class Ledger {

  /** One customer of the run, as stored. */
  record Customer(String username, Instant registeredAt, int conversations, int aiMessages, int welcomes, int jobs,
                  String jobStatus, int attempts, Instant finishedAt, Long welcomeMs, String source,
                  String fallbackReason) {

    boolean complete() {
      return conversations >= 1 && welcomes >= 1 && "succeeded".equals(jobStatus);
    }

    /** Rows beyond the one of each there must be. */
    int duplicates() {
      return Math.max(0, conversations - 1) + Math.max(0, welcomes - 1) + Math.max(0, aiMessages - 1)
          + Math.max(0, jobs - 1);
    }
  }

  private static final String CUSTOMERS = "SELECT u.username, u.created_at AS registered_at, "
      + "(SELECT count(*) FROM conversations c WHERE c.customer_id = u.id) AS conversations, "
      + "(SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
      + "  WHERE c.customer_id = u.id AND m.sender_type = 'ai') AS ai_messages, "
      + "(SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
      + "  WHERE c.customer_id = u.id AND m.kind = 'welcome') AS welcomes, "
      + "(SELECT count(*) FROM automation_jobs j WHERE j.user_id = u.id) AS jobs, "
      + "j.status, j.attempts, j.finished_at, "
      + "(SELECT (extract(epoch FROM min(m.created_at) - u.created_at) * 1000)::bigint FROM messages m "
      + "  JOIN conversations c ON c.id = m.conversation_id WHERE c.customer_id = u.id AND m.kind = 'welcome') "
      + "  AS welcome_ms, "
      + "(SELECT m.metadata->>'source' FROM messages m JOIN conversations c ON c.id = m.conversation_id "
      + "  WHERE c.customer_id = u.id AND m.kind = 'welcome' LIMIT 1) AS source, "
      + "(SELECT m.metadata->>'fallback_reason' FROM messages m JOIN conversations c ON c.id = m.conversation_id "
      + "  WHERE c.customer_id = u.id AND m.kind = 'welcome' LIMIT 1) AS fallback_reason "
      + "FROM users u LEFT JOIN automation_jobs j ON j.user_id = u.id WHERE u.username LIKE ? ORDER BY u.created_at";
  private static final String UNFINISHED = "SELECT count(*) FROM automation_jobs j JOIN users u ON u.id = j.user_id "
      + "WHERE u.username LIKE ? AND j.status NOT IN ('succeeded', 'dead', 'skipped')";

  private static final String RUNNING_ON = "SELECT j.id FROM automation_jobs j JOIN users u ON u.id = j.user_id "
      + "WHERE u.username LIKE ? AND j.status = 'running' AND j.lease_instance = ?";
  // a crash-reclaim counts as an attempt (automation_jobs.attempts): a job of the run taken over after a kill has two
  private static final String RECLAIMED = "SELECT j.id FROM automation_jobs j JOIN users u ON u.id = j.user_id "
      + "WHERE u.username LIKE ? AND j.attempts > 1 AND j.created_at < ? "
      + "AND (j.finished_at IS NULL OR j.finished_at > ?)";
  // lease_instance stays on a finished job: the instance whose lease finished it
  private static final String JOBS = "SELECT id, status, attempts, finished_at, lease_instance FROM automation_jobs "
      + "WHERE id = ANY(?)";

  /** One job as stored: who finished it (the instance of its last lease) and when. */
  record Job(UUID id, String status, int attempts, Instant finishedAt, Integer instance) {
  }

  private final String jdbcUrl;

  Ledger(String jdbcUrl) {
    this.jdbcUrl = jdbcUrl;
  }

  static Ledger embedded(int port) {
    return new Ledger("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
  }

  /**
   * Waits until no job of the run is pending, running or waiting for a retry (or the deadline passes); returns how
   * many still are.
   */
  long awaitSettled(String prefix, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    long open = Long.MAX_VALUE;
    while (true) {
      try {
        open = unfinished(prefix);
      } catch (SQLException e) {
        // the database is away for a moment (a restart under way): ask again
      }
      if (open == 0 || Instant.now().isAfter(deadline)) {
        return open;
      }
      LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
    }
  }

  long unfinished(String prefix) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl); PreparedStatement ps = c.prepareStatement(UNFINISHED)) {
      ps.setString(1, prefix + "%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The run's jobs running under the lease of server instance {@code instance} (db/InstanceLock's number). */
  List<UUID> runningOn(String prefix, int instance) throws SQLException {
    List<UUID> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl); PreparedStatement ps = c.prepareStatement(RUNNING_ON)) {
      ps.setString(1, prefix + "%");
      ps.setInt(2, instance);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getObject(1, UUID.class));
        }
      }
    }
    return out;
  }

  /** The run's jobs created before {@code at}, unfinished then, and claimed more than once. */
  List<UUID> reclaimed(String prefix, Instant at) throws SQLException {
    List<UUID> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl); PreparedStatement ps = c.prepareStatement(RECLAIMED)) {
      ps.setString(1, prefix + "%");
      ps.setTimestamp(2, java.sql.Timestamp.from(at));
      ps.setTimestamp(3, java.sql.Timestamp.from(at));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getObject(1, UUID.class));
        }
      }
    }
    return out;
  }

  List<Job> jobs(List<UUID> ids) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl); PreparedStatement ps = c.prepareStatement(JOBS)) {
      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Job(rs.getObject("id", UUID.class), rs.getString("status"), rs.getInt("attempts"),
              rs.getTimestamp("finished_at") == null ? null : rs.getTimestamp("finished_at").toInstant(),
              (Integer) rs.getObject("lease_instance")));
        }
      }
    }
    return out;
  }

  List<Customer> customers(String prefix) throws SQLException {
    List<Customer> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl); PreparedStatement ps = c.prepareStatement(CUSTOMERS)) {
      ps.setString(1, prefix + "%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Long welcomeMs = rs.getObject("welcome_ms") == null ? null : rs.getLong("welcome_ms");
          out.add(new Customer(rs.getString("username"), rs.getTimestamp("registered_at").toInstant(),
              rs.getInt("conversations"), rs.getInt("ai_messages"), rs.getInt("welcomes"), rs.getInt("jobs"),
              rs.getString("status"), rs.getInt("attempts"),
              rs.getTimestamp("finished_at") == null ? null : rs.getTimestamp("finished_at").toInstant(),
              welcomeMs, rs.getString("source"), rs.getString("fallback_reason")));
        }
      }
    }
    return out;
  }
}
