package com.anmeismart.server.security;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * vertx-auth-jwt accepts a correctly signed token without {@code exp} (it checks the expiry only when there is
 * one); the wrapper refuses it, and keeps accepting a token that has one. The context tokens of the MCP tools use
 * the same wrapper.
 */
class ExpiringJwtAuthTest {

  static Vertx vertx;
  static JWTAuth plain;
  static JWTAuth wrapped;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    plain = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("unit-test-secret-0123456789abcdef")));
    wrapped = ExpiringJwtAuth.wrap(plain);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static boolean accepted(JWTAuth auth, String token) throws Exception {
    try {
      auth.authenticate(new TokenCredentials(token)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  @Test
  void aSignedTokenWithoutExpiryIsRefused() throws Exception {
    String noExp = plain.generateToken(new JsonObject().put("sub", UUID.randomUUID().toString()),
        new JWTOptions().setAlgorithm("HS256"));
    assertThat(accepted(plain, noExp)).as("the library alone accepts it (the finding)").isTrue();
    assertThat(accepted(wrapped, noExp)).isFalse();
  }

  @Test
  void aSignedTokenWithExpiryIsAcceptedAndAnExpiredOneIsNot() throws Exception {
    String ok = plain.generateToken(new JsonObject(), new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(60));
    assertThat(accepted(wrapped, ok)).isTrue();
    long past = System.currentTimeMillis() / 1000 - 3600;
    String expired = plain.generateToken(new JsonObject().put("exp", past), new JWTOptions().setAlgorithm("HS256"));
    assertThat(accepted(wrapped, expired)).isFalse();
  }

  @Test
  void contextTokensRefuseATokenWithoutExpiryToo() throws Exception {
    SecretBox box = new SecretBox("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
    ContextTokens tokens = new ContextTokens(vertx, box);
    UUID user = UUID.randomUUID();
    assertThat(tokens.verify(tokens.issue(user, ContextTokens.DEFAULT_TTL)).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS)).isEqualTo(user);
    // the same key and audience, but no exp: signed as ContextTokens signs, minus the expiry
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(java.util.Base64.getEncoder().encodeToString(box.subKey("context-token")))));
    String forever = signer.generateToken(new JsonObject(), new JWTOptions().setAlgorithm("HS256")
        .setSubject(user.toString()).setAudience(java.util.List.of(ContextTokens.AUDIENCE)));
    assertThat(tokens.verify(forever).toCompletionStage().toCompletableFuture()).failsWithin(10, TimeUnit.SECONDS);
  }
}
