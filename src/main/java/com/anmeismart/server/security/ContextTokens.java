package com.anmeismart.server.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Context tokens: short-lived HS256 JWTs bound to one user ({@code sub}), audience {@code anmeismart-mcp-context},
 * signed with a sub-key of {@code SECRETS_KEY} (not the API's JWT secret, so an access token is never a context
 * token and the other way round). The Dify gateway issues one per welcome; the agent hands it back to the MCP tools,
 * which then only touch that user.
 */
public final class ContextTokens {

  public static final String AUDIENCE = "anmeismart-mcp-context";
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
  /**
   * The subject of the server's own warm-up token ({@link #issueWarmUp}): the nil UUID, which no user has (ids are
   * random UUIDs). The MCP tools find no customer under it, and {@code ToolRunner} neither logs nor counts the calls
   * made with it, so the warm-up at start leaves no trace in the call log or the figures.
   */
  public static final UUID WARM_UP = new UUID(0, 0);
  private static final Duration WARM_UP_TTL = Duration.ofMinutes(1);

  private final JWTAuth auth;

  public ContextTokens(Vertx vertx, SecretBox box) {
    String key = Base64.getEncoder().encodeToString(box.subKey("context-token"));
    // a context token without an expiry would outlive the welcome it was issued for: refused (ExpiringJwtAuth)
    this.auth = ExpiringJwtAuth.wrap(JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(key))
        .setJWTOptions(new JWTOptions().setAlgorithm("HS256").setAudience(List.of(AUDIENCE)))));
  }

  public String issue(UUID userId, Duration ttl) {
    if (WARM_UP.equals(userId)) {
      // only issueWarmUp mints it: a call with it is not logged, so no request may choose that subject
      throw new IllegalArgumentException("the nil UUID is the warm-up subject, not a user");
    }
    return sign(userId, ttl);
  }

  /** The warm-up token: a minute long, for {@link #WARM_UP}; used at start only, by the server itself. */
  public String issueWarmUp() {
    return sign(WARM_UP, WARM_UP_TTL);
  }

  private String sign(UUID userId, Duration ttl) {
    return auth.generateToken(new JsonObject(), new JWTOptions().setAlgorithm("HS256").setSubject(userId.toString())
        .setAudience(List.of(AUDIENCE)).setExpiresInSeconds((int) Math.max(1, ttl.toSeconds())));
  }

  /** The user the token is bound to; fails when it is forged, expired or not a context token. */
  public Future<UUID> verify(String token) {
    return auth.authenticate(new TokenCredentials(token)).map(user -> UUID.fromString(user.get("sub")));
  }
}
