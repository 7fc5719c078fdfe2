package com.anmeismart.server.security;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretBoxTest {

  static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
  static final Vertx VERTX = Vertx.vertx();

  @AfterAll
  static void close() {
    VERTX.close();
  }

  @Test
  void roundTripsAndUsesAFreshNonceEachTime() {
    SecretBox box = new SecretBox(KEY);
    String a = box.encrypt("mcp_key_secret-value");
    String b = box.encrypt("mcp_key_secret-value");
    assertThat(a).isNotEqualTo(b).doesNotContain("secret-value");
    assertThat(box.decrypt(a)).isEqualTo("mcp_key_secret-value");
    assertThat(box.decrypt(b)).isEqualTo("mcp_key_secret-value");
  }

  @Test
  void anotherKeyOrATamperedValueCannotBeDecrypted() {
    String sealed = new SecretBox(KEY).encrypt("app-key");
    assertThatThrownBy(() -> new SecretBox("another key").decrypt(sealed)).isInstanceOf(IllegalArgumentException.class);
    byte[] raw = Base64.getDecoder().decode(sealed);
    raw[raw.length - 1] ^= 1;
    assertThatThrownBy(() -> new SecretBox(KEY).decrypt(Base64.getEncoder().encodeToString(raw)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keyedHashesDependOnPurposeAndKey() {
    SecretBox box = new SecretBox(KEY);
    assertThat(box.keyedHash("mcp-key-index", "k")).isEqualTo(box.keyedHash("mcp-key-index", "k")).hasSize(64);
    assertThat(box.keyedHash("mcp-key-index", "k")).isNotEqualTo(box.keyedHash("other", "k"));
    assertThat(box.keyedHash("mcp-key-index", "k")).isNotEqualTo(new SecretBox("x").keyedHash("mcp-key-index", "k"));
  }

  @Test
  void aKeyedHasherHashesLikeKeyedHashOnEveryThread() throws Exception {
    SecretBox box = new SecretBox(KEY);
    var hasher = box.keyedHasher("mcp-key-index");
    assertThat(hasher.apply("k")).isEqualTo(box.keyedHash("mcp-key-index", "k"));
    assertThat(hasher.apply("k2")).isEqualTo(box.keyedHash("mcp-key-index", "k2"));
    assertThat(hasher.apply("k")).isEqualTo(box.keyedHash("mcp-key-index", "k")); // the Mac resets between values
    var other = java.util.concurrent.CompletableFuture.supplyAsync(() -> hasher.apply("k")).get(5, TimeUnit.SECONDS);
    assertThat(other).isEqualTo(box.keyedHash("mcp-key-index", "k"));
  }

  @Test
  void contextTokensBindOneUserAndExpire() throws Exception {
    ContextTokens tokens = new ContextTokens(VERTX, new SecretBox(KEY));
    UUID user = UUID.randomUUID();
    String token = tokens.issue(user, Duration.ofMinutes(5));
    assertThat(tokens.verify(token).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(user);

    ContextTokens otherKey = new ContextTokens(VERTX, new SecretBox("different"));
    assertThat(otherKey.verify(token).toCompletionStage().toCompletableFuture())
        .failsWithin(5, TimeUnit.SECONDS);
    // tampering with the subject breaks the signature
    String[] parts = token.split("\\.");
    String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        ("{\"sub\":\"" + UUID.randomUUID() + "\",\"aud\":[\"" + ContextTokens.AUDIENCE + "\"],\"exp\":9999999999}")
            .getBytes()) + "." + parts[2];
    assertThat(tokens.verify(forged).toCompletionStage().toCompletableFuture()).failsWithin(5, TimeUnit.SECONDS);
  }
}
