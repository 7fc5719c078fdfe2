package com.anmeismart.server.api;

import com.anmeismart.server.accounts.PasswordHasher;
import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.accounts.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * {@code /admin/users}: staff accounts (consultant, doctor, operator, admin), their roles and active flag, the
 * display name people see ({@code display_name}) and the WeCom user id ({@code wecom_userid}, unique).
 */
final class AdminUsersApi {

  private static final JsonBodies CREATE = JsonBodies.schema("staff-create");
  private static final JsonBodies UPDATE = JsonBodies.schema("staff-update");

  private final UserStore users;
  private final PasswordHasher hasher;

  AdminUsersApi(UserStore users, PasswordHasher hasher) {
    this.users = users;
    this.hasher = hasher;
  }

  /** GET /admin/users?role=&active=&limit=&offset= → staff by default; {@code role=customer} lists customers. */
  void list(RoutingContext ctx) {
    String role = Params.oneOf(ctx, "role", Roles.ALL);
    Boolean active = Params.bool(ctx, "active");
    int limit = Params.integer(ctx, "limit", 50, 1, 200);
    int offset = Params.integer(ctx, "offset", 0, 0, 1_000_000);
    users.list(role, active, role != null, limit, offset)
        .onSuccess(page -> Responses.json(ctx, 200, page))
        .onFailure(ctx::fail);
  }

  /** POST /admin/users → 201 staff account. */
  void create(RoutingContext ctx) {
    JsonObject body = CREATE.validBody(ctx);
    hasher.hash(body.getString("password"))
        .compose(hash -> users.createStaff(new UserStore.NewUser(body.getString("username"),
            body.getString("email").strip(), hash, body.getString("role"), body.getString("full_name"),
            body.getString("phone"), null, null, null, null, body.getString("display_name"),
            body.getString("wecom_userid")), Access.actor(ctx)))
        .onSuccess(user -> Responses.json(ctx, 201, user))
        .onFailure(t -> ctx.fail(Responses.duplicateToConflict(t)));
  }

  /**
   * PUT /admin/users/{id} → the updated account, under UserStore's account rules (an admin can't demote or disable
   * their own account: 409 {@code self_lockout}), audited with the change.
   */
  void update(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    JsonObject body = UPDATE.validBody(ctx);
    String role = body.getString("role");
    Boolean active = body.getBoolean("is_active");
    UserStore.StaffUpdate change = new UserStore.StaffUpdate(role, active, body.getString("full_name"),
        body.getString("phone"), body.getString("email") == null ? null : body.getString("email").strip(), null,
        body.getString("display_name") == null ? null : body.getString("display_name").strip(),
        body.getString("wecom_userid"));
    UserStore.RuleException broken = UserStore.ruleBroken(id, change, Access.actor(ctx));
    if (broken != null) {
      throw ruleRefused(broken); // before the password is hashed: the rule needs no database
    }
    String password = body.getString("password");
    Future<String> hash = password == null ? Future.succeededFuture() : hasher.hash(password);
    hash.compose(h -> users.update(id, new UserStore.StaffUpdate(role, active, change.fullName(), change.phone(),
            change.email(), h, change.displayName(), change.wecomUserid()), Access.actor(ctx)))
        .onSuccess(user -> {
          if (user.isEmpty()) {
            ctx.fail(ApiException.notFound("User"));
          } else {
            Responses.json(ctx, 200, user.get());
          }
        })
        .onFailure(t -> ctx.fail(t instanceof UserStore.RuleException r ? ruleRefused(r)
            : Responses.duplicateToConflict(t)));
  }

  private static ApiException ruleRefused(UserStore.RuleException r) {
    return ApiException.conflict(r.code(), r.getMessage(), null);
  }
}
