package com.anmeismart.server.mcp;

import com.anmeismart.server.security.SecretBox;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;

/**
 * MCP group keys: {@code mcp_key_} + 32 random bytes (base64url), stored AES-GCM encrypted with a keyed-hash index
 * ({@link SecretBox}). The public entry point for in-process MCP clients (the local agent): {@link #keyOf} returns a
 * group's current key. A client that gets 401 should ask again: an admin may have rotated the key.
 */
public final class McpKeys {

  /** Every key starts with this, so a leaked key is recognisable in logs and scanners. */
  public static final String PREFIX = "mcp_key_";
  /** The {@link SecretBox#keyedHash} purpose of the key index. */
  static final String INDEX_PURPOSE = "mcp-key-index";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String KEY_OF = "SELECT api_key_enc FROM mcp_tool_groups WHERE name = $1";
  private static final String ANY_STORED = "SELECT api_key_enc FROM mcp_tool_groups WHERE api_key_enc IS NOT NULL "
      + "ORDER BY created_at LIMIT 1";

  private final Pool pool;
  private final SecretBox box;
  /** Every MCP request hashes the key it presents: the hasher keeps the derived sub-key. */
  private final Function<String, String> indexHash;

  public McpKeys(Pool pool, SecretBox box) {
    this.pool = pool;
    this.box = box;
    this.indexHash = box.keyedHasher(INDEX_PURPOSE);
  }

  /**
   * The decrypted key of the group named {@code groupName} (e.g. {@code welcome_tools}). Fails with
   * {@link NoSuchElementException} when there is no such group or it has no key yet (keys are generated when the MCP
   * server starts). Never log the result.
   */
  public Future<String> keyOf(String groupName) {
    return pool.preparedQuery(KEY_OF).execute(Tuple.of(groupName)).map(rows -> {
      String enc = rows.size() == 0 ? null : rows.iterator().next().getString("api_key_enc");
      if (enc == null) {
        throw new NoSuchElementException("MCP group " + groupName + " does not exist or has no key yet");
      }
      return box.decrypt(enc);
    });
  }

  /** One stored key, still sealed (the start's check that this SECRETS_KEY opens them: cluster/Deployment). */
  public Future<Optional<String>> anyStored() {
    return pool.query(ANY_STORED).execute().map(rows -> rows.size() == 0 ? Optional.empty()
        : Optional.of(rows.iterator().next().getString("api_key_enc")));
  }

  /** A new random key. */
  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The index value under which {@code key} is stored. */
  public String hash(String key) {
    return indexHash.apply(key);
  }

  /** A new key, encrypted and hashed, ready to store. */
  public Sealed seal(String key) {
    return new Sealed(key, box.encrypt(key), hash(key));
  }

  Sealed newSealed() {
    return seal(generate());
  }

  /** The plain key of a stored ciphertext (admin view endpoint). */
  public String decrypt(String enc) {
    return box.decrypt(enc);
  }

  /** A key in its three forms: plain (shown once), encrypted and hashed (stored). */
  public record Sealed(String plain, String enc, String hash) {
  }
}
