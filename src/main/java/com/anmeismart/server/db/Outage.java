package com.anmeismart.server.db;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.Set;

/**
 * Tells a database that is away (stopped, restarting, unreachable, out of connections) from a query that failed:
 * the first is worth a retry a few seconds later (the API answers 503 with {@code Retry-After}), the second is a
 * bug or bad input. Checked along the cause chain, since drivers and pools wrap what they saw.
 */
public final class Outage {

  /**
   * SQLSTATEs of a server that can't serve now but will: 57P01 admin_shutdown (a fast or smart stop terminating
   * sessions), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, or in recovery), 57P05
   * idle_session_timeout, 53300 too_many_connections; and class 08, connection exceptions.
   */
  private static final Set<String> STATES = Set.of("57P01", "57P02", "57P03", "57P05", "53300");

  private Outage() {
  }

  /** Whether {@code t} (or a cause of it) says the database can't be reached or is going away. */
  public static boolean isDatabaseUnavailable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof PgException pg) {
        String state = pg.getSqlState();
        return state != null && (STATES.contains(state) || state.startsWith("08"));
      }
      if (c instanceof ClosedConnectionException          // the server closed the connection mid-query
          || c instanceof ConnectException                  // refused or timed out connecting (Netty's subclasses too)
          || c instanceof ClosedChannelException
          || c instanceof ConnectionPoolTooBusyException   // the pool's wait queue is full
          || isPoolTimeout(c)) {
        return true;
      }
    }
    return false;
  }

  /** A short description for a log line: the class and message, without a stack trace. */
  public static String describe(Throwable t) {
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  /**
   * No pooled connection within the pool's connection timeout: vertx-sql-client fails with a stackless
   * {@code VertxException} "Timeout waiting for connection" (a query on the pool) or "Timeout" (a connection for a
   * transaction). It has no type of its own, so the message is all there is.
   */
  private static boolean isPoolTimeout(Throwable t) {
    return t instanceof VertxException && t.getMessage() != null
        && (t.getMessage().equals("Timeout") || t.getMessage().startsWith("Timeout waiting for connection"));
  }
}
