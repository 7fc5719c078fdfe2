package com.anmeismart.server.security;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.Credentials;
import io.vertx.ext.auth.jwt.JWTAuth;

/**
 * A {@link JWTAuth} that also requires an expiry. vertx-auth-jwt checks {@code exp} only when a token has one: a
 * correctly signed token without it would be valid forever (a leaked one could never be retired by waiting). We
 * never issue such tokens, so one is refused like a forged one; so is one whose time claims are not numbers (the
 * library would throw). Everything else (signature, algorithm, issuer, audience, expiry with leeway) stays the
 * library's.
 */
public final class ExpiringJwtAuth implements JWTAuth {

  private final JWTAuth delegate;

  private ExpiringJwtAuth(JWTAuth delegate) {
    this.delegate = delegate;
  }

  public static JWTAuth wrap(JWTAuth delegate) {
    return new ExpiringJwtAuth(delegate);
  }

  @Override
  public Future<User> authenticate(Credentials credentials) {
    Future<User> verified;
    try {
      verified = delegate.authenticate(credentials);
    } catch (RuntimeException e) {
      // a signed token whose exp, iat or nbf is not a number: the library's expiry check throws (ClassCastException)
      return Future.failedFuture("Invalid JWT token: malformed time claims");
    }
    return verified.compose(user -> {
      // the library copies the token's exp to the user's attributes (only when the token has one)
      Object exp = user.attributes() == null ? null : user.attributes().getValue("exp");
      return exp instanceof Number ? Future.succeededFuture(user)
          : Future.failedFuture("Invalid JWT token: no expiry (exp)");
    });
  }

  @Override
  public String generateToken(JsonObject claims, JWTOptions options) {
    return delegate.generateToken(claims, options);
  }

  @Override
  public String generateToken(JsonObject claims) {
    return delegate.generateToken(claims);
  }
}
