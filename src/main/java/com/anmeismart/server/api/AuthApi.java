package com.anmeismart.server.api;

import com.anmeismart.server.accounts.PasswordHasher;
import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.accounts.Tokens;
import com.anmeismart.server.accounts.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;

/** {@code /auth}: register, login, me. */
final class AuthApi {

  private static final JsonBodies REGISTER = JsonBodies.schema("register");
  private static final JsonBodies LOGIN = JsonBodies.schema("login");

  private final UserStore users;
  private final PasswordHasher hasher;
  private final Tokens tokens;
  private final Registrations registrations;

  AuthApi(UserStore users, PasswordHasher hasher, Tokens tokens, Registrations registrations) {
    this.users = users;
    this.hasher = hasher;
    this.tokens = tokens;
    this.registrations = registrations;
  }

  /** POST /auth/register → 201 user. The automation starts behind it; the response never waits for it. */
  void register(RoutingContext ctx) {
    JsonObject body = REGISTER.validBody(ctx);
    LocalDate birthDate = birthDate(body.getString("birth_date"));
    JsonArray interests = body.getJsonArray("interests", new JsonArray());
    List<String> cleanInterests = interests.stream().map(o -> ((String) o).strip()).filter(s -> !s.isEmpty())
        .distinct().toList();
    hasher.hash(body.getString("password"))
        .compose(hash -> registrations.register(new UserStore.NewUser(body.getString("username"),
            body.getString("email").strip(), hash, Roles.CUSTOMER, body.getString("full_name"), body.getString("phone"),
            body.getString("gender"), birthDate, cleanInterests, body.getString("source"))))
        .onSuccess(user -> Responses.json(ctx, 201, user))
        .onFailure(t -> ctx.fail(Responses.duplicateToConflict(t)));
  }

  /** POST /auth/login → token. Unknown user and wrong password give the same 401, in the same time. */
  void login(RoutingContext ctx) {
    JsonObject body = LOGIN.validBody(ctx);
    String password = body.getString("password");
    users.findForLogin(body.getString("username_or_email").strip())
        .compose(found -> hasher.verify(found.map(UserStore.Credentials::passwordHash).orElse(null), password)
            .compose(ok -> {
              if (!ok || found.isEmpty()) {
                return Future.failedFuture(new ApiException(401, "invalid_credentials",
                    "Wrong username, email or password"));
              }
              JsonObject user = found.get().user();
              if (!user.getBoolean("is_active")) {
                return Future.failedFuture(new ApiException(403, "account_disabled", "This account is disabled"));
              }
              String token = tokens.issue(java.util.UUID.fromString(user.getString("id")), user.getString("username"),
                  user.getString("role"));
              return Future.succeededFuture(new JsonObject().put("access_token", token).put("token_type", "bearer")
                  .put("expires_in", tokens.ttlSeconds()).put("user", user));
            }))
        .onSuccess(res -> Responses.json(ctx, 200, res))
        .onFailure(ctx::fail);
  }

  /** GET /auth/me → the caller, fresh from the database. */
  void me(RoutingContext ctx) {
    users.findById(Access.userId(ctx))
        .onSuccess(user -> {
          if (user.isEmpty()) {
            ctx.fail(new ApiException(401, "unauthorized", "The account of this token no longer exists"));
          } else if (!user.get().getBoolean("is_active")) {
            ctx.fail(new ApiException(403, "account_disabled", "This account is disabled"));
          } else {
            Responses.json(ctx, 200, user.get());
          }
        })
        .onFailure(ctx::fail);
  }

  /** A real calendar date between 1900-01-01 and today, or null when absent. */
  static LocalDate birthDate(String s) {
    if (s == null) {
      return null;
    }
    try {
      LocalDate d = LocalDate.parse(s);
      if (d.isBefore(LocalDate.of(1900, 1, 1)) || d.isAfter(LocalDate.now())) {
        throw new DateTimeParseException("out of range", s, 0);
      }
      return d;
    } catch (DateTimeParseException e) {
      throw ApiException.invalid("birth_date", "must be a date YYYY-MM-DD between 1900-01-01 and today",
          "须为 1900-01-01 至今天之间的日期（YYYY-MM-DD）");
    }
  }
}
