package com.anmeismart.server.db;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.net.SocketException;
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
          // refused or timed out connecting (ConnectException, Netty's subclasses too), or reset by a server going
          // away (a connection's first bytes reset while PostgreSQL stops: "Connection reset by peer")
          || c instanceof SocketException
          || c instanceof ClosedChannelException
          || isClosedPoolConnection(c)
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
   * A statement sent on a pooled connection that closed under it (a database restart, found by
   * {@code bench/chaos.sh pg-restart}): vertx-sql-client fails it with a stackless {@code VertxException}
   * "Connection is not active now, current status: CLOSED" rather than a {@link ClosedConnectionException}.
   */
  private static boolean isClosedPoolConnection(Throwable t) {
    return t instanceof VertxException && t.getMessage() != null
        && t.getMessage().startsWith("Connection is not active now");
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
