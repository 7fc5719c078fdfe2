package com.anmeismart.server.accounts;

import com.anmeismart.server.security.ExpiringJwtAuth;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.util.List;
import java.util.UUID;

/**
 * Access tokens: HS256 JWTs signed with {@code JWT_SECRET}, issuer and audience fixed, expiry required and checked.
 * Only HS256 is configured, so tokens signed with another algorithm (or "none") find no key and are refused.
 */
public final class Tokens {

  public static final String ISSUER = "anmeismart";
  public static final String AUDIENCE = "anmeismart-api";

  private final JWTAuth auth;
  private final int ttlSeconds;

  public Tokens(Vertx vertx, String secret, int ttlSeconds) {
    this.ttlSeconds = ttlSeconds;
    this.auth = ExpiringJwtAuth.wrap(JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setAlgorithm("HS256").setIssuer(ISSUER).setAudience(List.of(AUDIENCE)))));
  }

  public JWTAuth auth() {
    return auth;
  }

  public int ttlSeconds() {
    return ttlSeconds;
  }

  /** A token whose subject is the user id and which carries the role and username. */
  public String issue(UUID userId, String username, String role) {
    return auth.generateToken(new JsonObject().put("role", role).put("username", username),
        new JWTOptions().setAlgorithm("HS256").setSubject(userId.toString()).setIssuer(ISSUER)
            .setAudience(List.of(AUDIENCE)).setExpiresInSeconds(ttlSeconds));
  }
}
