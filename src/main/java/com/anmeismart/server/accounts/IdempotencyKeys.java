package com.anmeismart.server.accounts;

import com.anmeismart.server.security.SecretBox;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * All SQL on {@code idempotency_keys}: the {@code Idempotency-Key} request header (draft-ietf-httpapi-idempotency-key-
 * header) on operations that create something, so that a client that lost the answer can retry without creating
 * it twice. A key names one request of one client for {@link #TTL}: the same key with the same body is the same
 * request (the caller answers it with what the first one created); the same key with another body is a client
 * error (422). The key's row is written by the statement that creates the resource ({@link #insertFor}, composed by
 * the resource's owner), so a key never exists without its resource nor the other way round, and of two requests
 * with one key racing, the second's statement fails on the key and finds the first's row.
 * <p>
 * What identifies a body is an HMAC-SHA256 of it under a key derived from {@code SECRETS_KEY}: a registration's body
 * holds the password, which must not be stored, not even as a fast unkeyed hash.
 */
public final class IdempotencyKeys {

  /** How long a key is remembered (as Stripe and most APIs that take the header do). */
  public static final Duration TTL = Duration.ofHours(24);
  /** The longest key accepted (the draft leaves it to the server; 255 as is common). */
  public static final int MAX_LENGTH = 255;
  /** Expired rows deleted by one lookup: the table stays bounded by a day's keys without a timer of its own. */
  private static final int SWEEP = 100;

  /**
   * The live row of a key, and at most {@link #SWEEP} expired rows (its own among them) deleted on the way: a
   * statement's CTEs see one snapshot, so the SELECT reads the table as before the DELETE and filters the expired
   * row out by itself.
   */
  private static final String LOOKUP = "WITH gone AS (DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY("
      + "SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT " + SWEEP + ")) "
      + "OR (scope = $1 AND key = $2 AND expires_at <= now())) "
      + "SELECT fingerprint, resource_id FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()";

  private final Pool pool;
  private final Function<String, String> fingerprints;

  public IdempotencyKeys(Pool pool, SecretBox box) {
    this.pool = pool;
    this.fingerprints = box.keyedHasher("idempotency-fingerprint");
  }

  /** A request's key: the operation, the client's key, and its body's fingerprint. */
  public record Key(String scope, String key, String fingerprint) {
  }

  /** What a key was used for before: the same body or another, and what the first request created. */
  public record Seen(boolean sameBody, UUID resourceId) {
  }

  /**
   * The key of a request to {@code scope} with {@code body} (its fields in any order).
   *
   * @param header the {@code Idempotency-Key} header: an sf-string ({@code "…"}, as the draft says) or, as most
   *               clients send it, the bare text
   * @return empty when the header is absent; the key otherwise
   * @throws IllegalArgumentException when the header is not 1 to {@link #MAX_LENGTH} visible ASCII characters
   */
  public Optional<Key> keyOf(String scope, String header, JsonObject body) {
    if (header == null) {
      return Optional.empty();
    }
    String key = header.strip();
    if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
      key = key.substring(1, key.length() - 1);
    }
    if (key.isEmpty() || key.length() > MAX_LENGTH || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw new IllegalArgumentException("not 1 to " + MAX_LENGTH + " visible ASCII characters");
    }
    return Optional.of(new Key(scope, key, fingerprints.apply(scope + "\n" + canonical(body))));
  }

  /** The key's live row, if any. */
  public Future<Optional<Seen>> find(Key key) {
    return pool.preparedQuery(LOOKUP).execute(Tuple.of(key.scope(), key.key())).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new Seen(key.fingerprint().equals(row.getString("fingerprint")), row.getUUID("resource_id")));
    });
  }

  /**
   * The key's row for the statement that creates its resource (the owner of the resource composes it): inserts one
   * row for the {@code id} returned by CTE {@code resourceCte} when parameter {@code $keyParam} (the key) is not
   * null; {@code $keyParam - 1} is the scope and {@code $keyParam + 1} the fingerprint ({@link #params}). A live row
   * of the same key fails the whole statement (SQLSTATE 23505 on {@link #CONSTRAINT}).
   */
  public static String insertFor(String resourceCte, int keyParam) {
    return "INSERT INTO idempotency_keys (scope, key, fingerprint, resource_id, expires_at) SELECT $" + (keyParam - 1)
        + ", $" + keyParam + ", $" + (keyParam + 1) + ", id, now() + interval '" + TTL.toSeconds() + " seconds' FROM "
        + resourceCte + " WHERE $" + keyParam + "::text IS NOT NULL RETURNING 1";
  }

  /** The key's primary key: a violation of it means another request with the same key got there first. */
  public static final String CONSTRAINT = "idempotency_keys_pkey";

  /** Adds the three parameters of {@link #insertFor} (scope, key, fingerprint; nulls without a key). */
  public static Tuple params(Tuple tuple, Optional<Key> key) {
    return tuple.addString(key.map(Key::scope).orElse(null)).addString(key.map(Key::key).orElse(null))
        .addString(key.map(Key::fingerprint).orElse(null));
  }

  /** The body with its fields sorted (nested objects too): a retry that orders them differently is the same body. */
  static String canonical(JsonObject body) {
    return Json.encode(sorted(body));
  }

  private static Object sorted(Object value) {
    if (value instanceof JsonObject o) {
      return sorted(o.getMap());
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), sorted(v)));
      return out;
    }
    if (value instanceof JsonArray a) {
      return sorted(a.getList());
    }
    if (value instanceof List<?> l) {
      return l.stream().map(IdempotencyKeys::sorted).toList();
    }
    return value;
  }
}
