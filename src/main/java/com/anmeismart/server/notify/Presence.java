package com.anmeismart.server.notify;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/**
 * Who is online: all SQL on {@code bridge_presence}. A user is online while one of their bridge sockets has a
 * fresh row (several tabs = several rows). PostgreSQL holds it, so every HttpApiVerticle instance and every cluster
 * node sees the same truth; a node that dies without closing its sockets stops counting once its rows are older
 * than the TTL, because live nodes refresh theirs every third of it.
 */
public final class Presence {

  private static final String CONNECT = "INSERT INTO bridge_presence (socket_id, user_id, node) "
      + "SELECT $1, id, $3 FROM users WHERE id = $2 AND is_active AND role = ANY($4) "
      + "ON CONFLICT (socket_id) DO UPDATE SET seen_at = now() RETURNING socket_id";
  private static final String DISCONNECT = "DELETE FROM bridge_presence WHERE socket_id = $1";
  private static final String HEARTBEAT = "UPDATE bridge_presence SET seen_at = now() WHERE node = $1";
  private static final String CLEAR_NODE = "DELETE FROM bridge_presence WHERE node = $1";
  private static final String EXPIRE_PROCESS = "UPDATE bridge_presence SET seen_at = now() - make_interval(secs => $2) "
      + "WHERE starts_with(node, $1 || '/') AND seen_at > now() - make_interval(secs => $2)";
  private static final String PURGE = "DELETE FROM bridge_presence WHERE seen_at < now() - make_interval(secs => $1 * 10)";
  private static final String ONLINE_CONSULTANTS = "SELECT count(DISTINCT p.user_id) AS n FROM bridge_presence p "
      + "JOIN users u ON u.id = p.user_id WHERE u.role = 'consultant' AND p.seen_at > now() - make_interval(secs => $1)";

  private static final String ANY_ONLINE = "SELECT EXISTS (SELECT 1 FROM bridge_presence p JOIN users u "
      + "ON u.id = p.user_id WHERE u.role = ANY($1) AND p.seen_at > now() - make_interval(secs => $2)) AS online";

  /** The SQL condition "user {@code alias} is online", for the stores that pick recipients; $ttl is the TTL. */
  static String onlineCondition(String userAlias, String ttlParam) {
    return "EXISTS (SELECT 1 FROM bridge_presence p WHERE p.user_id = " + userAlias + ".id AND p.seen_at > now() - "
        + "make_interval(secs => " + ttlParam + "))";
  }

  private final Pool pool;
  private final int ttlSeconds;

  public Presence(Pool pool, int ttlSeconds) {
    this.pool = pool;
    this.ttlSeconds = ttlSeconds;
  }

  public int ttlSeconds() {
    return ttlSeconds;
  }

  /**
   * Records an open socket of an active user with one of {@code roles}. False when the account is gone, disabled
   * or has another role now (its token is older than the change): then the socket must not count.
   */
  public Future<Boolean> connect(UUID socketId, UUID userId, String node, String... roles) {
    return pool.preparedQuery(CONNECT).execute(Tuple.of(socketId, userId, node, roles)).map(rows -> rows.size() > 0);
  }

  public Future<Void> disconnect(UUID socketId) {
    return pool.preparedQuery(DISCONNECT).execute(Tuple.of(socketId)).mapEmpty();
  }

  /** Keeps this node's sockets fresh; also drops rows long dead (a node that crashed days ago). */
  public Future<Void> heartbeat(String node) {
    return pool.preparedQuery(HEARTBEAT).execute(Tuple.of(node))
        .compose(v -> pool.preparedQuery(PURGE).execute(Tuple.of(ttlSeconds))).mapEmpty();
  }

  /** A node stopping: its sockets are closing with it. */
  public Future<Void> clearNode(String node) {
    return pool.preparedQuery(CLEAR_NODE).execute(Tuple.of(node)).mapEmpty();
  }

  /**
   * A cluster node left (crashed, killed, or cut off): the sockets of every HttpApiVerticle of that process
   * ({@code node} values {@code <nodeId>/…}) stop counting as online now rather than after the TTL. Their rows are
   * aged to the TTL, not deleted: a node that was only cut off from the others by a network partition (it still
   * reaches PostgreSQL, its sockets are still open) makes them fresh again at its next heartbeat, where deleted rows
   * would leave its consultants offline until their pages reconnect (vert.x #4394, docs/cluster.md). A dead node's
   * rows go with the purge of long-dead rows.
   */
  public Future<Integer> expireProcess(String nodeId) {
    return pool.preparedQuery(EXPIRE_PROCESS).execute(Tuple.of(nodeId, ttlSeconds)).map(rows -> rows.rowCount());
  }

  /** Whether anyone with one of {@code roles} has a bridge socket open now, on any node. */
  public Future<Boolean> anyOnline(String... roles) {
    return pool.preparedQuery(ANY_ONLINE).execute(Tuple.of(roles, ttlSeconds))
        .map(rows -> rows.iterator().next().getBoolean("online"));
  }

  /** Consultants online now, across all nodes. */
  public Future<Long> onlineConsultants() {
    return pool.preparedQuery(ONLINE_CONSULTANTS).execute(Tuple.of(ttlSeconds))
        .map(rows -> rows.iterator().next().getLong("n"));
  }
}
