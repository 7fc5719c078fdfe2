package com.anmeismart.server.security;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Secrets at rest (MCP group keys, Dify app keys): AES-256-GCM under {@code SECRETS_KEY}, a fresh 96-bit nonce per
 * value, stored as base64 of nonce ‖ ciphertext ‖ tag. Also derives purpose-bound sub-keys (HMAC-SHA256 of the
 * purpose under the master key), so the key index and token signing never reuse the encryption key itself.
 * The JDK's own providers do the cryptography.
 */
public final class SecretBox {

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;
  private final byte[] master;

  /** @param secretsKey base64 of 32 bytes (as generated); any other text is hashed to 32 bytes */
  public SecretBox(String secretsKey) {
    this.master = masterKey(secretsKey);
    this.key = new SecretKeySpec(master, "AES");
  }

  public String encrypt(String plain) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length)
          .put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** @throws IllegalArgumentException when the value was not sealed under this key or was altered */
  public String decrypt(String sealed) {
    try {
      byte[] all = Base64.getDecoder().decode(sealed);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
      return new String(cipher.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot decrypt: wrong SECRETS_KEY or altered value");
    }
  }

  /** A 32-byte key for one purpose (e.g. "mcp-key-index", "context-token"), derived from the master key. */
  public byte[] subKey(String purpose) {
    return hmac(master, purpose.getBytes(StandardCharsets.UTF_8));
  }

  /** HMAC-SHA256 (hex) of {@code value} under the sub-key for {@code purpose}: a lookup index that reveals nothing. */
  public String keyedHash(String purpose, String value) {
    return HexFormat.of().formatHex(hmac(subKey(purpose), value.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * {@link #keyedHash} for one purpose, with its sub-key derived once and one initialised {@link Mac} per thread: for
   * hot paths (every MCP request hashes the key it presents), where deriving the sub-key and looking up a fresh
   * {@code Mac} each time would double the work.
   */
  public Function<String, String> keyedHasher(String purpose) {
    SecretKeySpec sub = new SecretKeySpec(subKey(purpose), "HmacSHA256");
    ThreadLocal<Mac> macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(sub);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
    // doFinal leaves the Mac reset to its key, ready for the next value
    return value -> HexFormat.of().formatHex(macs.get().doFinal(value.getBytes(StandardCharsets.UTF_8)));
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static byte[] masterKey(String secretsKey) {
    try {
      byte[] decoded = Base64.getDecoder().decode(secretsKey);
      if (decoded.length == 32) {
        return decoded;
      }
    } catch (IllegalArgumentException notBase64) {
      // fall through: hash whatever text was configured
    }
    try {
      return MessageDigest.getInstance("SHA-256").digest(secretsKey.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
