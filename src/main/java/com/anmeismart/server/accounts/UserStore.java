package com.anmeismart.server.accounts;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.automation.JobStore;
import com.anmeismart.server.bus.CustomerCard;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * All SQL on users, in one place. Rows leave as {@link JsonObject}s in the API's shape (never the hash). Changes to
 * accounts by admins (the REST API, the MCP {@code user_management} tool) go through {@link #createStaff} and
 * {@link #update}, which apply the account rules and write the audit row with the change.
 */
public final class UserStore {

  static final String COLUMNS = "id, username, email, role, full_name, display_name, wecom_userid, phone, gender, "
      + "birth_date, interests, source, is_active, created_at, updated_at";

  private static final String INSERT = "INSERT INTO users (username, email, password_hash, role, full_name, phone, "
      + "gender, birth_date, interests, source, display_name, wecom_userid) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING " + COLUMNS;
  /**
   * A customer registration: the user and its automation job in one statement, so both exist or neither does
   * (the job's SQL is JobStore's fragment; this is the one place that creates jobs); with an Idempotency-Key, the
   * key's row too (IdempotencyKeys' fragment, parameters $13 to $15; none without a key).
   */
  private static final String INSERT_CUSTOMER_WITH_JOB = "WITH u AS (INSERT INTO users (username, email, password_hash, "
      + "role, full_name, phone, gender, birth_date, interests, source, display_name, wecom_userid) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING " + COLUMNS + "), "
      + "j AS (" + JobStore.insertJobFor("u") + "), "
      + "k AS (" + IdempotencyKeys.insertFor("u", 14) + ") "
      + "SELECT u.*, j.id AS job_id FROM u, j";
  private static final String FIND_FOR_LOGIN = "SELECT " + COLUMNS + ", password_hash FROM users "
      + "WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1";
  private static final String FIND_BY_ID = "SELECT " + COLUMNS + " FROM users WHERE id = $1";
  private static final String EXISTS_USERNAME = "SELECT 1 FROM users WHERE lower(username) = lower($1)";
  private static final String LIST = "SELECT " + COLUMNS + ", count(*) OVER () AS total FROM users "
      + "WHERE ($1::text IS NULL OR role = $1) AND ($2::boolean IS NULL OR is_active = $2) "
      + "AND ($3::boolean OR role <> 'customer') ORDER BY created_at DESC, id LIMIT $4 OFFSET $5";
  private static final String LOCK = "SELECT " + COLUMNS + " FROM users WHERE id = $1 FOR UPDATE";
  /** Null keeps a field; an empty display name or WeCom id clears it (a customer has no display name of their own). */
  private static final String UPDATE = "UPDATE users SET role = coalesce($2, role), is_active = coalesce($3, is_active), "
      + "full_name = coalesce($4, full_name), phone = coalesce($5, phone), email = coalesce($6, email), "
      + "password_hash = coalesce($7, password_hash), "
      + "display_name = CASE WHEN coalesce($2, role) = 'customer' THEN NULL WHEN $8::text IS NULL THEN display_name "
      + "  ELSE nullif($8, '') END, "
      + "wecom_userid = CASE WHEN $9::text IS NULL THEN wecom_userid ELSE nullif($9, '') END, "
      + "updated_at = now() WHERE id = $1 RETURNING " + COLUMNS;
  /** The MCP tool's search: by role and/or part of a username or full name. */
  private static final String FIND = "SELECT id, username, role, full_name, is_active, created_at FROM users "
      + "WHERE ($1::text IS NULL OR role = $1) "
      + "AND ($2::text IS NULL OR username ILIKE '%' || $2 || '%' OR full_name ILIKE '%' || $2 || '%') "
      + "ORDER BY created_at DESC LIMIT $3";
  private static final String FIGURES = "SELECT "
      + "(SELECT count(*) FROM users WHERE role = 'customer') AS customers, "
      + "(SELECT count(*) FROM users WHERE role = 'customer' AND created_at > now() - interval '1 day') AS reg_1d, "
      + "(SELECT count(*) FROM users WHERE role = 'customer' AND created_at > now() - interval '7 days') AS reg_7d, "
      + "(SELECT count(*) FROM users WHERE role <> 'customer' AND is_active) AS active_staff";
  private static final String WELCOME_PROFILE = "SELECT username, full_name, interests, source, created_at, phone, "
      + "email FROM users WHERE id = $1";
  private static final String CARD = "SELECT id, username, " + displayName("users") + " AS shown, interests, source, "
      + "phone, created_at FROM users WHERE id = $1";

  /**
   * How a person is named wherever a person is named (SPEC §7), as an SQL expression over the users row
   * {@code alias}: staff by their display name, else full name, else username; a customer by full name, else
   * username. For every store and query that names people (one rule, one place).
   */
  public static String displayName(String alias) {
    return "(CASE WHEN " + alias + ".role = 'customer' THEN coalesce(nullif(" + alias + ".full_name, ''), " + alias
        + ".username) ELSE coalesce(nullif(" + alias + ".display_name, ''), nullif(" + alias + ".full_name, ''), "
        + alias + ".username) END)";
  }

  /**
   * A user's {@link #displayName} as an SQL expression, for statements of other stores that record who did something
   * (the audit log); {@code idParam} is the statement's parameter holding the user id.
   */
  public static String displayNameOf(String idParam) {
    return "(SELECT " + displayName("x") + " FROM users x WHERE x.id = " + idParam + "::uuid)";
  }

  /** What a new account needs; optional fields may be null. */
  public record NewUser(String username, String email, String passwordHash, String role, String fullName,
                        String phone, String gender, LocalDate birthDate, List<String> interests, String source,
                        String displayName, String wecomUserid) {

    /** An account without the staff-only fields (a customer, or staff named later). */
    public NewUser(String username, String email, String passwordHash, String role, String fullName, String phone,
                   String gender, LocalDate birthDate, List<String> interests, String source) {
      this(username, email, passwordHash, role, fullName, phone, gender, birthDate, interests, source, null, null);
    }
  }

  /** A login candidate: the public row and the stored hash. */
  public record Credentials(JsonObject user, String passwordHash) {
  }

  /**
   * Fields an admin may change; null leaves a field as it is, and an empty {@code displayName} or
   * {@code wecomUserid} clears it.
   */
  public record StaffUpdate(String role, Boolean active, String fullName, String phone, String email,
                            String passwordHash, String displayName, String wecomUserid) {

    public StaffUpdate(String role, Boolean active, String fullName, String phone, String email,
                       String passwordHash) {
      this(role, active, fullName, phone, email, passwordHash, null, null);
    }

    /** Only the active flag (the MCP tool's activate / deactivate). */
    public static StaffUpdate active(boolean active) {
      return new StaffUpdate(null, active, null, null, null, null);
    }
  }

  /**
   * An account rule refused the change (nothing was written).
   *
   * @param code {@code self_lockout}: an admin can't remove their own admin role or disable themselves;
   *             {@code admin_protected}: MCP tools can't change admin accounts (the admin API can)
   */
  public static final class RuleException extends RuntimeException {
    private final String code;

    RuleException(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Pool pool;

  public UserStore(Pool pool) {
    this.pool = pool;
  }

  /** Inserts a user; a duplicate username or email fails with {@link DuplicateException} naming the field. */
  public Future<JsonObject> insert(NewUser u) {
    return pool.preparedQuery(INSERT).execute(params(u))
        .recover(UserStore::mapDuplicate)
        .map(rows -> toJson(rows.iterator().next()));
  }

  /** Inserts a customer and its automation job together; returns the user and the job id. */
  public Future<Registered> insertCustomerWithJob(NewUser u) {
    return insertCustomerWithJob(u, Optional.empty());
  }

  /** The same, with the request's Idempotency-Key written with them (a key taken: DuplicateException). */
  public Future<Registered> insertCustomerWithJob(NewUser u, Optional<IdempotencyKeys.Key> key) {
    return pool.preparedQuery(INSERT_CUSTOMER_WITH_JOB).execute(IdempotencyKeys.params(params(u), key))
        .recover(UserStore::mapDuplicate)
        .map(rows -> {
          Row row = rows.iterator().next();
          return new Registered(toJson(row), row.getUUID("job_id"));
        });
  }

  /** A registered customer and the automation job written with it. */
  public record Registered(JsonObject user, UUID jobId) {
  }

  private static Tuple params(NewUser u) {
    return Tuple.tuple()
        .addString(u.username()).addString(u.email()).addString(u.passwordHash()).addString(u.role())
        .addString(u.fullName()).addString(u.phone()).addString(u.gender()).addLocalDate(u.birthDate())
        .addArrayOfString(u.interests() == null ? new String[0] : u.interests().toArray(String[]::new))
        .addString(u.source()).addString(u.displayName()).addString(u.wecomUserid());
  }

  public Future<Optional<Credentials>> findForLogin(String usernameOrEmail) {
    return pool.preparedQuery(FIND_FOR_LOGIN).execute(Tuple.of(usernameOrEmail)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new Credentials(toJson(row), row.getString("password_hash")));
    });
  }

  public Future<Optional<JsonObject>> findById(UUID id) {
    return pool.preparedQuery(FIND_BY_ID).execute(Tuple.of(id)).map(UserStore::first);
  }

  public Future<Boolean> usernameExists(String username) {
    return pool.preparedQuery(EXISTS_USERNAME).execute(Tuple.of(username)).map(rows -> rows.size() > 0);
  }

  /** A page of users, newest first, with the total; customers only when {@code includeCustomers}. */
  public Future<JsonObject> list(String role, Boolean active, boolean includeCustomers, int limit, int offset) {
    return pool.preparedQuery(LIST).execute(Tuple.of(role, active, includeCustomers, limit, offset)).map(rows -> {
      JsonArray items = new JsonArray();
      long total = 0;
      for (Row row : rows) {
        items.add(toJson(row));
        total = row.getLong("total");
      }
      if (rows.size() == 0 && offset > 0) {
        total = -1; // unknown past the end; the caller asked beyond the last page
      }
      return new JsonObject().put("items", items).put("total", total).put("limit", limit).put("offset", offset);
    });
  }

  /** A staff account created by an admin, recorded in the audit log with it. */
  public Future<JsonObject> createStaff(NewUser u, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(INSERT).execute(params(u)).compose(rows -> {
      JsonObject user = toJson(rows.iterator().next());
      return AuditStore.record(tx, actor, "user.create", "user", user.getString("id"), null, user).map(user);
    })).recover(UserStore::mapDuplicate);
  }

  /**
   * Changes an account by an admin's (or an admin tool's) hand, under the account rules ({@link RuleException}),
   * with its audit row (a new password shows as {@value AuditStore#MASK}). Empty when there is no such user.
   */
  public Future<Optional<JsonObject>> update(UUID id, StaffUpdate u, Actor actor) {
    RuleException broken = ruleBroken(id, u, actor);
    if (broken != null) {
      return Future.failedFuture(broken);
    }
    return pool.withTransaction(tx -> tx.preparedQuery(LOCK).execute(Tuple.of(id)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(Optional.<JsonObject>empty());
      }
      JsonObject before = toJson(found.iterator().next());
      if (!actor.isUser() && (Roles.ADMIN.equals(before.getString("role")) || Roles.ADMIN.equals(u.role()))) {
        return Future.failedFuture(new RuleException("admin_protected",
            "Admin accounts are changed through the admin API only"));
      }
      return tx.preparedQuery(UPDATE)
          .execute(Tuple.of(id, u.role(), u.active(), u.fullName(), u.phone(), u.email(), u.passwordHash(),
              u.displayName(), u.wecomUserid()))
          .compose(rows -> {
            JsonObject after = toJson(rows.iterator().next());
            JsonObject audited = u.passwordHash() == null ? after : after.copy().put("password", AuditStore.MASK);
            return AuditStore.record(tx, actor, "user.update", "user", id, before, audited).map(Optional.of(after));
          });
    })).recover(UserStore::mapDuplicate);
  }

  /**
   * The rule a change breaks before anything is read, or null: nobody removes their own admin role or disables
   * themselves (the account that could repair it would be gone).
   */
  public static RuleException ruleBroken(UUID id, StaffUpdate u, Actor actor) {
    if (actor.isUser() && id.equals(actor.id())
        && ((u.role() != null && !Roles.ADMIN.equals(u.role())) || Boolean.FALSE.equals(u.active()))) {
      return new RuleException("self_lockout", "You can't remove your own admin role or disable yourself");
    }
    return null;
  }

  /** Users by role and/or a search text in the username or full name, newest first (the MCP tool's list). */
  public Future<JsonArray> find(String role, String search, int limit) {
    return pool.preparedQuery(FIND).execute(Tuple.of(role, search, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("id", r.getUUID("id").toString())
          .put("username", r.getString("username")).put("role", r.getString("role"))
          .put("full_name", r.getString("full_name")).put("is_active", r.getBoolean("is_active"))
          .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())));
      return out;
    });
  }

  /** {@code {customers, registrations_last_24h, registrations_last_7d, active_staff}}. */
  public Future<JsonObject> figures() {
    return pool.query(FIGURES).execute().map(rows -> {
      Row r = rows.iterator().next();
      return new JsonObject().put("customers", r.getLong("customers"))
          .put("registrations_last_24h", r.getLong("reg_1d")).put("registrations_last_7d", r.getLong("reg_7d"))
          .put("active_staff", r.getLong("active_staff"));
    });
  }

  /** What a welcome agent's inputs carry about a new customer (the agent reads the rest through MCP). */
  public Future<JsonObject> welcomeProfile(UUID id) {
    return pool.preparedQuery(WELCOME_PROFILE).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        throw new IllegalStateException("no user " + id);
      }
      Row r = rows.iterator().next();
      String[] interests = r.getArrayOfStrings("interests");
      return new JsonObject().put("username", r.getString("username")).put("full_name", r.getString("full_name"))
          .put("interests", new JsonArray(interests == null ? List.of() : List.of(interests)))
          .put("source", r.getString("source"))
          .put("registered_at", r.getOffsetDateTime("created_at").toInstant().toString())
          // for the welcome guard only (its contact data is the one a welcome may repeat); never sent to Dify
          .put("phone", r.getString("phone")).put("email", r.getString("email"));
    });
  }

  /** A customer's card for the consultants (SPEC §7 payloads): the display name, interests, source, phone masked. */
  public Future<Optional<CustomerCard>> card(UUID id) {
    return pool.preparedQuery(CARD).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      String[] interests = r.getArrayOfStrings("interests");
      return Optional.of(new CustomerCard(r.getUUID("id"), r.getString("username"), r.getString("shown"),
          interests == null ? List.of() : List.of(interests), r.getString("source"),
          r.getOffsetDateTime("created_at").toInstant(), CustomerCard.mask(r.getString("phone"))));
    });
  }

  private static Optional<JsonObject> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(toJson(rows.iterator().next()));
  }

  private static <T> Future<T> mapDuplicate(Throwable t) {
    if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      String constraint = pg.getConstraint() != null ? pg.getConstraint() : String.valueOf(pg.getErrorMessage());
      String field = IdempotencyKeys.CONSTRAINT.equals(constraint) ? "idempotency_key"
          : constraint.contains("email") ? "email" : constraint.contains("wecom") ? "wecom_userid" : "username";
      return Future.failedFuture(new DuplicateException(field));
    }
    return Future.failedFuture(t);
  }

  /** The API shape of a user row. */
  static JsonObject toJson(Row row) {
    String[] interests = row.getArrayOfStrings("interests");
    List<String> list = interests == null ? List.of() : new ArrayList<>(List.of(interests));
    LocalDate birth = row.getLocalDate("birth_date");
    return new JsonObject()
        .put("id", row.getUUID("id").toString())
        .put("username", row.getString("username"))
        .put("email", row.getString("email"))
        .put("role", row.getString("role"))
        .put("full_name", row.getString("full_name"))
        .put("display_name", row.getString("display_name"))
        .put("wecom_userid", row.getString("wecom_userid"))
        .put("phone", row.getString("phone"))
        .put("gender", row.getString("gender"))
        .put("birth_date", birth == null ? null : birth.toString())
        .put("interests", new JsonArray(list))
        .put("source", row.getString("source"))
        .put("is_active", row.getBoolean("is_active"))
        .put("created_at", row.getOffsetDateTime("created_at").toInstant().toString())
        .put("updated_at", row.getOffsetDateTime("updated_at").toInstant().toString());
  }

  /** A unique username, email or WeCom user id is taken (compared case-insensitively). */
  public static final class DuplicateException extends RuntimeException {
    private final String field;

    DuplicateException(String field) {
      super(field + " already registered", null, false, false);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }
}
