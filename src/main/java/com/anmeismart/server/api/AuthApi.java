package com.anmeismart.server.api;

import com.anmeismart.server.accounts.IdempotencyKeys;
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
import java.util.Optional;

/** {@code /auth}: register, login, me. */
final class AuthApi {

  private static final JsonBodies REGISTER = JsonBodies.schema("register");
  private static final JsonBodies LOGIN = JsonBodies.schema("login");
  /** The request header of draft-ietf-httpapi-idempotency-key-header. */
  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final String REGISTER_SCOPE = "auth.register";

  private final UserStore users;
  private final PasswordHasher hasher;
  private final Tokens tokens;
  private final Registrations registrations;
  private final IdempotencyKeys keys;

  AuthApi(UserStore users, PasswordHasher hasher, Tokens tokens, Registrations registrations, IdempotencyKeys keys) {
    this.users = users;
    this.keys = keys;
    this.hasher = hasher;
    this.tokens = tokens;
    this.registrations = registrations;
  }

  /**
   * POST /auth/register → 201 user. The automation starts behind it; the response never waits for it. With an
   * {@code Idempotency-Key} header, a retry of the same body gets the account the first request created (201,
   * {@code Idempotent-Replayed: true}, no second hash), the same key with another body 422: see
   * {@link IdempotencyKeys}.
   */
  void register(RoutingContext ctx) {
    JsonObject body = REGISTER.validBody(ctx);
    LocalDate birthDate = birthDate(body.getString("birth_date"));
    JsonArray interests = body.getJsonArray("interests", new JsonArray());
    List<String> cleanInterests = interests.stream().map(o -> ((String) o).strip()).filter(s -> !s.isEmpty())
        .distinct().toList();
    Optional<IdempotencyKeys.Key> key = idempotencyKey(ctx, body);
    Future<Optional<IdempotencyKeys.Seen>> seen = key.isEmpty() ? Future.succeededFuture(Optional.empty())
        : keys.find(key.get());
    seen.compose(before -> before.isPresent() ? replay(ctx, before.get())
            : hasher.hash(body.getString("password"))
                .compose(hash -> registrations.register(new UserStore.NewUser(body.getString("username"),
                    body.getString("email").strip(), hash, Roles.CUSTOMER, body.getString("full_name"),
                    body.getString("phone"), body.getString("gender"), birthDate, cleanInterests,
                    body.getString("source")), key))
                .recover(t -> key.isPresent() && t instanceof UserStore.DuplicateException d
                    ? raced(ctx, key.get(), d) : Future.failedFuture(t)))
        .onSuccess(user -> Responses.json(ctx, 201, user))
        .onFailure(t -> ctx.fail(Responses.duplicateToConflict(t)));
  }

  private Optional<IdempotencyKeys.Key> idempotencyKey(RoutingContext ctx, JsonObject body) {
    try {
      return keys.keyOf(REGISTER_SCOPE, ctx.request().getHeader(IDEMPOTENCY_KEY), body);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(IDEMPOTENCY_KEY, "must be 1 to " + IdempotencyKeys.MAX_LENGTH
          + " visible ASCII characters, e.g. a UUID", "须为 1 到 " + IdempotencyKeys.MAX_LENGTH
          + " 个可见 ASCII 字符，例如一个 UUID");
    }
  }

  /**
   * The creation failed on a unique column while a key was given: if a request with this key got there first (a
   * retry racing the original), its answer; else the failure as it was (the username or email is someone else's).
   */
  private Future<JsonObject> raced(RoutingContext ctx, IdempotencyKeys.Key key, UserStore.DuplicateException d) {
    return keys.find(key).compose(seen -> seen.isPresent() ? replay(ctx, seen.get())
        : Future.failedFuture("idempotency_key".equals(d.field()) ? inUse() : d));
  }

  /** The answer to a key seen before: the account it created, or 422 when the body is not the one it came with. */
  private Future<JsonObject> replay(RoutingContext ctx, IdempotencyKeys.Seen seen) {
    if (!seen.sameBody()) {
      return Future.failedFuture(new ApiException(422, "idempotency_key_reused",
          "This Idempotency-Key was used with a different request body; use a new key for a new request"));
    }
    return users.findById(seen.resourceId()).compose(user -> {
      if (user.isEmpty()) {
        return Future.failedFuture(inUse());
      }
      ctx.response().putHeader("Idempotent-Replayed", "true");
      return Future.succeededFuture(user.get());
    });
  }

  private static ApiException inUse() {
    return new ApiException(409, "idempotency_key_in_use",
        "Another request with this Idempotency-Key is being processed; retry shortly");
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
