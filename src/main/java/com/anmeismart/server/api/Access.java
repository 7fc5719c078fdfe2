package com.anmeismart.server.api;

import com.anmeismart.server.audit.Actor;
import io.vertx.core.Handler;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.JWTAuthHandler;

import java.util.Set;
import java.util.UUID;

/** Who is calling, from the verified JWT that {@code JWTAuthHandler} put on the context, and role guards. */
public final class Access {

  private Access() {
  }

  /**
   * Authentication: a well-formed {@code Authorization: Bearer <token>} that the JWT handler then verifies. Any
   * malformed header is a 401 like a bad token (the JWT handler alone would answer 400 for some).
   */
  public static Handler<RoutingContext> bearer(JWTAuthHandler jwt) {
    return ctx -> {
      String header = ctx.request().getHeader("Authorization");
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
        ctx.fail(new ApiException(401, "unauthorized", "A bearer token is required"));
      } else {
        jwt.handle(ctx);
      }
    };
  }

  /** Lets the request through only for the given roles; 403 otherwise. Chain after the JWT handler. */
  public static Handler<RoutingContext> roles(Set<String> roles) {
    return ctx -> {
      if (roles.contains(role(ctx))) {
        ctx.next();
      } else {
        ctx.fail(ApiException.forbidden("This needs one of the roles " + roles));
      }
    };
  }

  public static UUID userId(RoutingContext ctx) {
    User user = ctx.user();
    try {
      return UUID.fromString(user.get("sub"));
    } catch (RuntimeException e) {
      throw new ApiException(401, "unauthorized", "Token has no valid subject");
    }
  }

  /** The caller as the audit log records them (the account's display name is looked up when the row is written). */
  public static Actor actor(RoutingContext ctx) {
    Object username = ctx.user() == null ? null : ctx.user().get("username");
    return Actor.user(userId(ctx), username == null ? null : username.toString());
  }

  /** The caller's username as the token names it (for logs such as the MCP call log), or {@code unknown}. */
  public static String username(RoutingContext ctx) {
    Object name = ctx.user() == null ? null : ctx.user().get("username");
    return name == null ? "unknown" : name.toString();
  }

  public static String role(RoutingContext ctx) {
    Object role = ctx.user() == null ? null : ctx.user().get("role");
    return role == null ? "" : role.toString();
  }
}
