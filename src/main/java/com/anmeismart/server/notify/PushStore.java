package com.anmeismart.server.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Web Push state: all SQL on {@code push_subscriptions} and {@code push_vapid_keys}. */
public final class PushStore {

  private static final String SUBSCRIBE = "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) "
      + "VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, "
      + "p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, failures = 0 "
      + "RETURNING id, endpoint, created_at, (xmax = 0) AS created";
  private static final String OF_USERS = "SELECT id, user_id, endpoint, p256dh, auth FROM push_subscriptions "
      + "WHERE user_id = ANY($1)";
  private static final String SUCCESS = "UPDATE push_subscriptions SET last_success_at = now(), failures = 0 WHERE id = $1";
  private static final String FAILURE = "UPDATE push_subscriptions SET failures = failures + 1 WHERE id = $1";
  private static final String DROP = "DELETE FROM push_subscriptions WHERE id = $1";
  private static final String DROP_OWN = "DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2";
  private static final String KEYS = "SELECT public_key, private_key_enc FROM push_vapid_keys WHERE id = 1";
  private static final String PUT_KEYS = "INSERT INTO push_vapid_keys (id, public_key, private_key_enc) "
      + "VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";

  /** A browser's push subscription. */
  public record Subscription(UUID id, UUID userId, String endpoint, String p256dh, String auth) {
  }

  /** The stored VAPID key pair: the public key as browsers want it, the private key sealed. */
  public record StoredKeys(String publicKey, String privateKeySealed) {
  }

  private final Pool pool;

  public PushStore(Pool pool) {
    this.pool = pool;
  }

  public Future<JsonObject> subscribe(UUID userId, String endpoint, String p256dh, String auth) {
    return pool.preparedQuery(SUBSCRIBE).execute(Tuple.of(userId, endpoint, p256dh, auth)).map(rows -> {
      Row r = rows.iterator().next();
      return new JsonObject().put("id", r.getUUID("id").toString()).put("endpoint", r.getString("endpoint"))
          .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())
          .put("created", r.getBoolean("created"));
    });
  }

  /** Removes the caller's own subscription (a browser that unsubscribed); false when there was none. */
  public Future<Boolean> unsubscribe(UUID userId, String endpoint) {
    return pool.preparedQuery(DROP_OWN).execute(Tuple.of(userId, endpoint)).map(rows -> rows.rowCount() > 0);
  }

  public Future<List<Subscription>> ofUsers(List<UUID> userIds) {
    if (userIds.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery(OF_USERS).execute(Tuple.of(userIds.toArray(UUID[]::new))).map(rows -> {
      List<Subscription> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        out.add(new Subscription(r.getUUID("id"), r.getUUID("user_id"), r.getString("endpoint"), r.getString("p256dh"),
            r.getString("auth")));
      }
      return out;
    });
  }

  public Future<Void> succeeded(UUID subscriptionId) {
    return pool.preparedQuery(SUCCESS).execute(Tuple.of(subscriptionId)).mapEmpty();
  }

  public Future<Void> failed(UUID subscriptionId) {
    return pool.preparedQuery(FAILURE).execute(Tuple.of(subscriptionId)).mapEmpty();
  }

  /** The push service says the subscription is gone (404/410): it will never work again. */
  public Future<Void> drop(UUID subscriptionId) {
    return pool.preparedQuery(DROP).execute(Tuple.of(subscriptionId)).mapEmpty();
  }

  public Future<Optional<StoredKeys>> keys() {
    return pool.query(KEYS).execute().map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(
        new StoredKeys(rows.iterator().next().getString("public_key"), rows.iterator().next().getString("private_key_enc"))));
  }

  /** Stores a new pair unless one exists (another node may win the race); returns the pair in force. */
  public Future<StoredKeys> keepFirst(StoredKeys generated) {
    return pool.preparedQuery(PUT_KEYS).execute(Tuple.of(generated.publicKey(), generated.privateKeySealed()))
        .compose(v -> keys()).map(Optional::orElseThrow);
  }
}
