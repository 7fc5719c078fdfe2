package com.anmeismart.server.cluster;

import com.anmeismart.server.mcp.McpKeys;
import com.anmeismart.server.notify.PushStore;
import com.anmeismart.server.security.SecretBox;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * The deployment this database belongs to: all SQL on {@code deployment} (one row). Every start checks, before the
 * node serves or joins a cluster, that its secrets are the deployment's:
 * <ul>
 *   <li>{@code SECRETS_KEY} opens the sealed check value, the stored Web Push (VAPID) private key and a stored MCP
 *   group key. A node with another key could open none of the stored keys (MCP keys, Dify app keys, the VAPID key):
 *   MCP clients would get 401s from it alone, and it would sign Web Push with nothing. So its start fails, in a
 *   cluster and on a single process alike: a changed {@code SECRETS_KEY} (or a lost {@code DATA_DIR/secrets.json}
 *   next to a kept database) is an operator's mistake to fix, never a reason to run half-broken;</li>
 *   <li>{@code JWT_SECRET} gives the stored HMAC of a fixed text: a node with another secret would refuse the tokens
 *   the other nodes sign (a page would be logged out whenever the load balancer picked that node).</li>
 * </ul>
 * The first start on a database writes the row with the secrets then in force. A database from before this check
 * gets it from its first start after the upgrade; the stored keys still catch a wrong {@code SECRETS_KEY} then.
 */
public final class Deployment {

  static final String SEALED_TEXT = "anmeismart secrets key check";
  private static final String JWT_PURPOSE = "jwt-secret-check";
  private static final String ENSURE = "INSERT INTO deployment (id, secrets_key_check, jwt_secret_check) "
      + "VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
  private static final String READ = "SELECT deployment_id, secrets_key_check, jwt_secret_check FROM deployment "
      + "WHERE id = 1";

  private Deployment() {
  }

  /**
   * Checks this node's secrets against the deployment (writing the row on the first start); returns the deployment
   * id. Fails with {@link IllegalStateException} naming the setting that differs, never a secret.
   */
  public static Future<UUID> verify(Pool pool, String secretsKey, String jwtSecret) {
    SecretBox box = new SecretBox(secretsKey);
    String jwtCheck = jwtCheck(jwtSecret);
    // the row is written only once the stored keys have opened: a start with a wrong key must not leave its own
    // check values behind for the right key to fail on
    return read(pool)
        .compose(row -> row == null ? Future.succeededFuture() : matches(row, box, jwtCheck))
        .compose(v -> storedKeys(pool, box))
        .compose(v -> pool.preparedQuery(ENSURE).execute(Tuple.of(box.encrypt(SEALED_TEXT), jwtCheck)))
        .compose(v -> read(pool))
        .compose(row -> matches(row, box, jwtCheck).map(row.getUUID("deployment_id")));
  }

  private static Future<Row> read(Pool pool) {
    return pool.query(READ).execute().map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  private static Future<Void> matches(Row row, SecretBox box, String jwtCheck) {
    UUID id = row.getUUID("deployment_id");
    if (!opens(box, row.getString("secrets_key_check"))) {
      return Future.failedFuture(wrongSecretsKey("the deployment's check value (" + id + ")"));
    }
    if (!MessageDigest.isEqual(jwtCheck.getBytes(StandardCharsets.US_ASCII),
        row.getString("jwt_secret_check").getBytes(StandardCharsets.US_ASCII))) {
      return Future.failedFuture(new IllegalStateException("JWT_SECRET is not this deployment's (" + id + "): the "
          + "other servers sign tokens with another secret, so this one would refuse theirs and they would refuse "
          + "its own. Start every node with the same JWT_SECRET"));
    }
    return Future.succeededFuture();
  }

  /** The keys sealed before the check row existed (a database from an older version) must open too. */
  private static Future<Void> storedKeys(Pool pool, SecretBox box) {
    Future<Void> vapid = new PushStore(pool).keys().compose(keys -> keys.isEmpty()
        || opens(box, keys.get().privateKeySealed()) ? Future.succeededFuture()
        : Future.failedFuture(wrongSecretsKey("the stored Web Push (VAPID) private key")));
    return vapid.compose(v -> new McpKeys(pool, box).anyStored()).compose(sealed -> sealed.isEmpty()
        || opens(box, sealed.get()) ? Future.succeededFuture()
        : Future.failedFuture(wrongSecretsKey("the stored MCP group keys")));
  }

  private static boolean opens(SecretBox box, String sealed) {
    try {
      box.decrypt(sealed);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static IllegalStateException wrongSecretsKey(String what) {
    return new IllegalStateException("SECRETS_KEY is not this deployment's: it can't open " + what
        + ". Start every node with the SECRETS_KEY the database's keys were sealed with (a single server keeps a "
        + "generated one in DATA_DIR/secrets.json)");
  }

  /** HMAC-SHA256 of a fixed text under the JWT secret (through {@link SecretBox}'s purpose-bound sub-key). */
  static String jwtCheck(String jwtSecret) {
    return new SecretBox(jwtSecret).keyedHash(JWT_PURPOSE, SEALED_TEXT);
  }
}
