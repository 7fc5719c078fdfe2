package com.anmeismart.server.mcp;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * All SQL on the MCP configuration: groups, their keys, tools, the call log and its figures. Used by the MCP server
 * (load, key generation, call log), the admin API and the admin tools' import. Every admin change is written with
 * its audit row ({@link AuditStore}) in one transaction, and then announced ({@link #announce}).
 */
public final class McpStore {

  private static final String LOAD = "SELECT g.id AS gid, g.name AS gname, g.enabled AS genabled, "
      + "g.requires_context_token, g.api_key_hash, g.previous_key_hash, g.previous_key_valid_until, "
      + "g.rate_per_second AS grate, g.burst AS gburst, g.max_concurrent AS gmax, "
      + "t.id AS tid, t.tool_name, t.enabled AS tenabled, t.timeout_seconds, t.config_data, t.description, "
      + "t.updated_at, t.rate_per_second AS trate, t.burst AS tburst, t.max_concurrent AS tmax "
      + "FROM mcp_tool_groups g LEFT JOIN mcp_tools t ON t.group_id = g.id ORDER BY g.name, t.tool_name";
  private static final String WITHOUT_KEY = "SELECT id FROM mcp_tool_groups WHERE api_key_enc IS NULL";
  /** Only fills a missing key: when two processes start at once, the second one's update changes nothing. */
  private static final String SET_KEY_IF_MISSING = "UPDATE mcp_tool_groups SET api_key_enc = $2, api_key_hash = $3, "
      + "updated_at = now() WHERE id = $1 AND api_key_enc IS NULL";
  private static final String GROUP_COLUMNS = "g.id, g.name, g.description, g.enabled, g.user_tier, g.allowed_roles, "
      + "g.requires_context_token, g.api_key_enc IS NOT NULL AS has_key, g.key_rotated_at, g.created_by, g.created_at, "
      + "g.updated_at, coalesce((SELECT array_agg(t.tool_name ORDER BY t.tool_name) FROM mcp_tools t "
      + "WHERE t.group_id = g.id), '{}') AS tools, coalesce((SELECT array_agg(t.tool_name ORDER BY t.tool_name) "
      + "FROM mcp_tools t WHERE t.group_id = g.id AND t.enabled), '{}') AS enabled_tools, "
      + "g.rate_per_second, g.burst, g.max_concurrent, "
      // the grace of the last rotation, while it lasts, and the old key's last use since that rotation
      + "CASE WHEN g.previous_key_valid_until > now() THEN g.previous_key_valid_until END AS previous_key_valid_until, "
      + "(SELECT max(l.created_at) FROM mcp_call_logs l WHERE l.group_id = g.id AND l.key_used = 'previous' "
      + "AND l.created_at >= g.key_rotated_at) AS previous_key_last_used_at";
  private static final String LIST_GROUPS = "SELECT " + GROUP_COLUMNS + " FROM mcp_tool_groups g ORDER BY g.name";
  private static final String GET_GROUP = "SELECT " + GROUP_COLUMNS + " FROM mcp_tool_groups g WHERE g.id = $1";
  private static final String INSERT_GROUP = "INSERT INTO mcp_tool_groups (name, description, enabled, user_tier, "
      + "allowed_roles, requires_context_token, api_key_enc, api_key_hash, created_by, rate_per_second, burst, "
      + "max_concurrent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
  /** A new group's quota when the request names none: the seeded groups' defaults (V13). */
  public static final McpGroup.Quota DEFAULT_QUOTA = new McpGroup.Quota(100.0, 200, 100);
  /** Quota fields, each changed only when given ($2, $4, $6), to the value (null = unlimited). */
  private static final String QUOTA_SET = "rate_per_second = CASE WHEN $2::boolean THEN $3::float8 "
      + "ELSE rate_per_second END, burst = CASE WHEN $4::boolean THEN $5::int ELSE burst END, "
      + "max_concurrent = CASE WHEN $6::boolean THEN $7::int ELSE max_concurrent END, updated_at = now() "
      + "WHERE id = $1";
  private static final String UPDATE_GROUP_QUOTA = "UPDATE mcp_tool_groups SET " + QUOTA_SET;
  private static final String UPDATE_TOOL_QUOTA = "UPDATE mcp_tools SET " + QUOTA_SET;
  private static final String UPDATE_GROUP = "UPDATE mcp_tool_groups SET name = coalesce($2, name), "
      + "description = coalesce($3, description), enabled = coalesce($4, enabled), user_tier = coalesce($5, user_tier), "
      + "allowed_roles = coalesce($6, allowed_roles), requires_context_token = coalesce($7, requires_context_token), "
      + "updated_at = now() WHERE id = $1 RETURNING id";
  private static final String DELETE_GROUP = "DELETE FROM mcp_tool_groups WHERE id = $1 RETURNING name";
  private static final String KEY_ENC = "SELECT api_key_enc FROM mcp_tool_groups WHERE id = $1";
  /**
   * The new key replaces the current one, which becomes the previous key for $4 seconds (none with 0, or when there
   * was no key): an older previous key still in its grace ends here. Both assignments read the row as it was.
   */
  private static final String ROTATE = "UPDATE mcp_tool_groups SET api_key_enc = $2, api_key_hash = $3, "
      + "previous_key_hash = CASE WHEN $4::int > 0 THEN api_key_hash END, "
      + "previous_key_valid_until = CASE WHEN $4::int > 0 AND api_key_hash IS NOT NULL "
      + "THEN now() + make_interval(secs => $4::int) END, "
      + "key_rotated_at = now(), updated_at = now() WHERE id = $1 RETURNING previous_key_valid_until";
  private static final String PREVIOUS_KEY = "SELECT previous_key_valid_until FROM mcp_tool_groups WHERE id = $1 "
      + "FOR UPDATE";
  private static final String REVOKE_PREVIOUS = "UPDATE mcp_tool_groups SET previous_key_hash = NULL, "
      + "previous_key_valid_until = NULL, updated_at = now() WHERE id = $1";
  private static final String TOOL_COLUMNS = "t.id, t.tool_name, t.group_id, g.name AS group_name, t.version, "
      + "t.description, t.enabled, t.timeout_seconds, t.config_data, t.created_at, t.updated_at, t.rate_per_second, "
      + "t.burst, t.max_concurrent";
  private static final String LIST_TOOLS = "SELECT " + TOOL_COLUMNS + " FROM mcp_tools t JOIN mcp_tool_groups g "
      + "ON g.id = t.group_id WHERE ($1::uuid IS NULL OR t.group_id = $1) ORDER BY g.name, t.tool_name";
  private static final String GET_TOOL = "SELECT " + TOOL_COLUMNS + " FROM mcp_tools t JOIN mcp_tool_groups g "
      + "ON g.id = t.group_id WHERE t.id = $1";
  private static final String UPDATE_TOOL = "UPDATE mcp_tools SET group_id = coalesce($2, group_id), "
      + "enabled = coalesce($3, enabled), timeout_seconds = coalesce($4, timeout_seconds), "
      + "description = coalesce($5, description), config_data = coalesce($6, config_data), updated_at = now() "
      + "WHERE id = $1 RETURNING id";
  private static final String KEY_ROTATED_AT = "SELECT key_rotated_at FROM mcp_tool_groups WHERE id = $1 FOR UPDATE";
  private static final String LOCK_TOOL = "SELECT t.id FROM mcp_tools t JOIN mcp_tool_groups g ON g.id = t.group_id "
      + "WHERE g.name = $1 AND t.tool_name = $2 FOR UPDATE OF t";
  private static final String EXPORT_GROUPS = "SELECT name, description, enabled, user_tier, allowed_roles, "
      + "requires_context_token FROM mcp_tool_groups ORDER BY name";
  private static final String EXPORT_TOOLS = "SELECT g.name AS group_name, t.tool_name, t.enabled, t.timeout_seconds, "
      + "t.description, t.config_data FROM mcp_tools t JOIN mcp_tool_groups g ON g.id = t.group_id ORDER BY 1, 2";
  private static final String CALL_FIGURES = "SELECT count(*) AS calls, count(*) FILTER (WHERE NOT success) AS errors "
      + "FROM mcp_call_logs WHERE created_at > now() - make_interval(hours => $1)";
  /**
   * Upper bounds (ms) of the duration buckets of {@code mcp_call_stats}: bucket {@code i} (PostgreSQL's
   * {@code width_bucket}) holds durations from bound {@code i} (0 for the first) up to bound {@code i + 1}; the
   * last one everything from 120 s. Fixed: the stored rows are counted with them (V9 writes the same array).
   */
  public static final int[] DURATION_BOUNDS_MS = {1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750,
      1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000};
  /** One statement per batch: arrays unnested into rows (far cheaper for PostgreSQL than one INSERT per row). */
  private static final String INSERT_CALL_LOGS = "WITH x AS (SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], "
      + "$4::text[], $5::text[], $6::bool[], $7::text[], $8::int4[], $9::uuid[], $10::text[]) "
      + "AS x (t, g, c, r, s, ok, e, d, u, k)), "
      + "logged AS (INSERT INTO mcp_call_logs (tool_name, group_id, caller_app_id, request_data, response_data, "
      + "success, error_message, duration_ms, subject_user_id, key_used) "
      + "SELECT t, g, c, r::jsonb, s::jsonb, ok, e, d, u, k FROM x) "
      // the dashboard's rollup, with the rows it counts; ordered, so two nodes' batches lock its rows in one order
      + "INSERT INTO mcp_call_stats AS st (slice, tool_name, le, calls, errors) "
      + "SELECT date_bin('15 minutes', now(), TIMESTAMPTZ '2000-01-01 00:00:00+00'), t, "
      + "width_bucket(coalesce(d, 0), '" + bounds() + "'::int[]), count(*), count(*) FILTER (WHERE NOT ok) "
      + "FROM x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
      + "ON CONFLICT (slice, tool_name, le) DO UPDATE SET calls = st.calls + EXCLUDED.calls, "
      + "errors = st.errors + EXCLUDED.errors";
  private static final String METRICS = "SELECT tool_name, count(*) AS calls, count(*) FILTER (WHERE NOT success) "
      + "AS errors, avg(duration_ms)::float8 AS avg_ms, "
      + "percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p50_ms, "
      + "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p95_ms, "
      + "max(duration_ms) AS max_ms, max(created_at) AS last_call_at "
      + "FROM mcp_call_logs WHERE created_at > now() - make_interval(hours => $1) GROUP BY tool_name ORDER BY tool_name";

  private static final long SYNC_TIMEOUT_MS = 5_000;

  /** The call log, newest first, by the console's filters; a cursor on the id pages it. */
  private static final String CALLS = "SELECT l.id, l.tool_name, l.group_id, g.name AS group_name, l.caller_app_id, "
      + "l.subject_user_id, coalesce(nullif(u.full_name, ''), u.username) AS subject_name, l.request_data, "
      + "l.response_data, l.success, l.error_message, l.duration_ms, l.created_at FROM mcp_call_logs l "
      + "LEFT JOIN mcp_tool_groups g ON g.id = l.group_id LEFT JOIN users u ON u.id = l.subject_user_id "
      + "WHERE ($1::text IS NULL OR l.tool_name = $1) AND ($2::uuid IS NULL OR l.group_id = $2) "
      + "AND ($3::boolean IS NULL OR l.success = $3) AND ($4::timestamptz IS NULL OR l.created_at >= $4) "
      + "AND ($5::timestamptz IS NULL OR l.created_at < $5) AND ($6::uuid IS NULL OR l.subject_user_id = $6) "
      + "AND ($7::bigint IS NULL OR l.id < $7) ORDER BY l.id DESC LIMIT $8";

  private final Pool pool;

  public McpStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Tells every MCP server to reload a committed change, and waits until this process's has: then the change is in
   * force for the next request. No MCP server here (another deployment shape) is fine: the published event reaches
   * the others.
   */
  public static Future<Void> announce(EventBus bus) {
    bus.publish(Addresses.MCP_CONFIG_CHANGED, null);
    return bus.request(Addresses.MCP_CONFIG_SYNC, null, new DeliveryOptions().setSendTimeout(SYNC_TIMEOUT_MS)
        .setLocalOnly(true)).<Void>mapEmpty().recover(t -> Future.succeededFuture());
  }

  // ---- the MCP server ------------------------------------------------------------------------------------------

  /** Every group with its tool rows. */
  public Future<List<McpGroup>> loadGroups() {
    return pool.query(LOAD).execute().map(rows -> {
      Map<UUID, McpGroup> groups = new LinkedHashMap<>();
      for (Row r : rows) {
        UUID gid = r.getUUID("gid");
        McpGroup g = groups.computeIfAbsent(gid, id -> {
          OffsetDateTime until = r.getOffsetDateTime("previous_key_valid_until");
          return new McpGroup(id, r.getString("gname"), r.getBoolean("genabled"), r.getBoolean("requires_context_token"),
              r.getString("api_key_hash"), new LinkedHashMap<>(), r.getString("previous_key_hash"),
              until == null ? null : until.toInstant(), quota(r, "grate", "gburst", "gmax"));
        });
        if (r.getUUID("tid") != null) {
          Object config = r.getValue("config_data");
          g.tools().put(r.getString("tool_name"), new McpGroup.Tool(r.getUUID("tid"), r.getString("tool_name"),
              r.getBoolean("tenabled"), r.getInteger("timeout_seconds"),
              config instanceof JsonObject o ? o : new JsonObject(), r.getString("description"),
              r.getOffsetDateTime("updated_at").toInstant(), quota(r, "trate", "tburst", "tmax")));
        }
      }
      List<McpGroup> out = new ArrayList<>();
      groups.values().forEach(g -> out.add(new McpGroup(g.id(), g.name(), g.enabled(), g.requiresContextToken(),
          g.keyHash(), Map.copyOf(g.tools()), g.previousKeyHash(), g.previousKeyValidUntil(), g.quota())));
      return out;
    });
  }

  /** Gives every group without a key a new one; returns how many this process generated. */
  public Future<Integer> ensureKeys(McpKeys keys) {
    return pool.query(WITHOUT_KEY).execute().compose(rows -> {
      List<Future<Integer>> updates = new ArrayList<>();
      for (Row r : rows) {
        McpKeys.Sealed key = keys.newSealed();
        updates.add(pool.preparedQuery(SET_KEY_IF_MISSING).execute(Tuple.of(r.getUUID("id"), key.enc(), key.hash()))
            .map(RowSet::rowCount));
      }
      return Future.all(updates).map(all -> updates.stream().mapToInt(Future::result).sum());
    });
  }

  /**
   * Writes a batch of call-log rows in one statement, and counts them in the dashboard's rollup
   * ({@code mcp_call_stats}); {@code columns} holds one array per column.
   */
  public Future<Void> insertCallLogs(Tuple columns) {
    return pool.preparedQuery(INSERT_CALL_LOGS).execute(columns).mapEmpty();
  }

  // ---- the admin API -------------------------------------------------------------------------------------------

  /** What an admin may set on a group; null leaves a field as it is. */
  public record GroupChange(String name, String description, Boolean enabled, String userTier, List<String> roles,
                            Boolean requiresContextToken, QuotaChange quota) {
    public GroupChange(String name, String description, Boolean enabled, String userTier, List<String> roles,
                       Boolean requiresContextToken) {
      this(name, description, enabled, userTier, roles, requiresContextToken, QuotaChange.NONE);
    }
  }

  /** What an admin may set on a tool row; null leaves a field as it is. */
  public record ToolChange(UUID groupId, Boolean enabled, Integer timeoutSeconds, String description,
                           JsonObject config, QuotaChange quota) {
    public ToolChange(UUID groupId, Boolean enabled, Integer timeoutSeconds, String description, JsonObject config) {
      this(groupId, enabled, timeoutSeconds, description, config, QuotaChange.NONE);
    }
  }

  /**
   * A change of quota fields: each applies only when given (a null value given means unlimited).
   */
  public record QuotaChange(boolean rateGiven, Double ratePerSecond, boolean burstGiven, Integer burst,
                            boolean maxGiven, Integer maxConcurrent) {
    public static final QuotaChange NONE = new QuotaChange(false, null, false, null, false, null);

    public boolean any() {
      return rateGiven || burstGiven || maxGiven;
    }

    /** The quota after this change over {@code current}. */
    public McpGroup.Quota over(McpGroup.Quota current) {
      return new McpGroup.Quota(rateGiven ? ratePerSecond : current.ratePerSecond(),
          burstGiven ? burst : current.burst(), maxGiven ? maxConcurrent : current.maxConcurrent());
    }

    Tuple tuple(UUID id) {
      return Tuple.tuple().addUUID(id).addBoolean(rateGiven).addDouble(ratePerSecond).addBoolean(burstGiven)
          .addInteger(burst).addBoolean(maxGiven).addInteger(maxConcurrent);
    }
  }

  /** A quota change that leaves a burst without a rate (a bucket's size without its refill). */
  public static final class BurstWithoutRateException extends RuntimeException {
    BurstWithoutRateException() {
      super("burst needs rate_per_second", null, false, false);
    }
  }

  /** The name is taken (group) or the target group already holds a tool of that name (tool move). */
  public static final class ConflictException extends RuntimeException {
    ConflictException(String message) {
      super(message, null, false, false);
    }
  }

  public Future<JsonArray> listGroups() {
    return pool.query(LIST_GROUPS).execute().map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(groupJson(r)));
      return out;
    });
  }

  public Future<Optional<JsonObject>> group(UUID id) {
    return group(pool, id);
  }

  public Future<JsonObject> createGroup(GroupChange c, McpKeys.Sealed key, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(INSERT_GROUP).execute(Tuple.tuple().addString(c.name())
            .addString(c.description()).addBoolean(c.enabled() == null || c.enabled())
            .addString(c.userTier() == null ? "internal" : c.userTier())
            .addArrayOfString(c.roles() == null ? new String[0] : c.roles().toArray(String[]::new))
            .addBoolean(Boolean.TRUE.equals(c.requiresContextToken())).addString(key.enc()).addString(key.hash())
            .addUUID(actor.id()).addDouble(c.quota().over(DEFAULT_QUOTA).ratePerSecond())
            .addInteger(c.quota().over(DEFAULT_QUOTA).burst()).addInteger(c.quota().over(DEFAULT_QUOTA).maxConcurrent()))
        .compose(rows -> {
          UUID id = rows.iterator().next().getUUID("id");
          return group(tx, id).map(Optional::orElseThrow).compose(group -> AuditStore.record(tx, actor,
              "mcp.group.create", "mcp_group", id, null, group).map(group));
        }))
        .recover(McpStore::conflict).recover(McpStore::burstWithoutRate);
  }

  public Future<Optional<JsonObject>> updateGroup(UUID id, GroupChange c, Actor actor) {
    return pool.withTransaction(tx -> lockedGroup(tx, id).compose(before -> {
      if (before.isEmpty()) {
        return Future.succeededFuture(Optional.<JsonObject>empty());
      }
      return tx.preparedQuery(UPDATE_GROUP).execute(Tuple.tuple().addUUID(id)
              .addString(c.name()).addString(c.description()).addBoolean(c.enabled()).addString(c.userTier())
              .addArrayOfString(c.roles() == null ? null : c.roles().toArray(String[]::new))
              .addBoolean(c.requiresContextToken()))
          .compose(rows -> c.quota().any() ? tx.preparedQuery(UPDATE_GROUP_QUOTA).execute(c.quota().tuple(id))
              .mapEmpty() : Future.succeededFuture())
          .compose(rows -> group(tx, id))
          .compose(after -> AuditStore.record(tx, actor, "mcp.group.update", "mcp_group", id, before.get(),
              after.orElseThrow()).map(after));
    })).recover(McpStore::conflict).recover(McpStore::burstWithoutRate);
  }

  public Future<Boolean> deleteGroup(UUID id, Actor actor) {
    return pool.withTransaction(tx -> lockedGroup(tx, id).compose(before -> before.isEmpty()
        ? Future.succeededFuture(false)
        : tx.preparedQuery(DELETE_GROUP).execute(Tuple.of(id)).compose(rows -> AuditStore.record(tx, actor,
            "mcp.group.delete", "mcp_group", id, before.get(), null)).map(true)));
  }

  /** The encrypted key of a group, recording that an admin looked at it; empty when there is no such group. */
  public Future<Optional<String>> viewKey(UUID id, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(KEY_ENC).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.<String>empty());
      }
      String enc = rows.iterator().next().getString("api_key_enc");
      return AuditStore.record(tx, actor, "mcp.key.view", "mcp_group", id, null, null).map(Optional.ofNullable(enc));
    }));
  }

  /**
   * Replaces the key. The old one keeps working for {@code graceSeconds} (0: it stops as soon as the MCP server
   * reloads, at once, see the admin API), so the new key can be pasted into Dify without an outage. The audit row
   * says that the key changed, when, and until when the old one works; never a key.
   *
   * @return empty when there is no such group, else when the previous key stops working (empty value for 0)
   */
  public Future<Optional<Optional<Instant>>> rotateKey(UUID id, McpKeys.Sealed key, int graceSeconds, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(KEY_ROTATED_AT).execute(Tuple.of(id)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(Optional.<Optional<Instant>>empty());
      }
      OffsetDateTime was = found.iterator().next().getOffsetDateTime("key_rotated_at");
      return tx.preparedQuery(ROTATE).execute(Tuple.of(id, key.enc(), key.hash(), graceSeconds))
          .compose(rotated -> {
            OffsetDateTime until = rotated.iterator().next().getOffsetDateTime("previous_key_valid_until");
            return tx.preparedQuery(KEY_ROTATED_AT).execute(Tuple.of(id))
                .compose(now -> AuditStore.record(tx, actor, "mcp.key.rotate", "mcp_group", id,
                    new JsonObject().put("api_key", AuditStore.MASK).put("key_rotated_at", iso(was)),
                    new JsonObject().put("api_key", AuditStore.MASK)
                        .put("key_rotated_at", iso(now.iterator().next().getOffsetDateTime("key_rotated_at")))
                        .put("grace_seconds", graceSeconds).put("previous_key_valid_until", iso(until))))
                .map(v -> Optional.of(Optional.ofNullable(until == null ? null : until.toInstant())));
          });
    }));
  }

  /**
   * Ends the grace of the previous key at once (a leaked key, or Dify has switched): audited.
   *
   * @return empty when there is no such group, else whether a previous key was still valid and is now refused
   */
  public Future<Optional<Boolean>> revokePreviousKey(UUID id, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(PREVIOUS_KEY).execute(Tuple.of(id)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(Optional.<Boolean>empty());
      }
      OffsetDateTime until = found.iterator().next().getOffsetDateTime("previous_key_valid_until");
      if (until == null) {
        return Future.succeededFuture(Optional.of(false));
      }
      boolean live = until.toInstant().isAfter(Instant.now());
      return tx.preparedQuery(REVOKE_PREVIOUS).execute(Tuple.of(id))
          .compose(v -> AuditStore.record(tx, actor, "mcp.key.revoke_previous", "mcp_group", id,
              new JsonObject().put("previous_key", AuditStore.MASK).put("previous_key_valid_until", iso(until)),
              new JsonObject().put("previous_key_valid_until", (String) null)))
          .map(Optional.of(live));
    }));
  }

  public Future<JsonArray> listTools(UUID groupId) {
    return pool.preparedQuery(LIST_TOOLS).execute(Tuple.of(groupId)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(toolJson(r)));
      return out;
    });
  }

  public Future<Optional<JsonObject>> updateTool(UUID id, ToolChange c, Actor actor) {
    return pool.withTransaction(tx -> updateTool(tx, id, c, actor))
        .recover(t -> t instanceof PgException pg && "23503".equals(pg.getSqlState())
            ? Future.failedFuture(new IllegalArgumentException("group_id names no group"))
            : conflict(t))
        .recover(McpStore::burstWithoutRate);
  }

  private Future<Optional<JsonObject>> updateTool(SqlClient tx, UUID id, ToolChange c, Actor actor) {
    return tx.preparedQuery(GET_TOOL + " FOR UPDATE OF t").execute(Tuple.of(id)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(Optional.<JsonObject>empty());
      }
      JsonObject before = toolJson(found.iterator().next());
      return tx.preparedQuery(UPDATE_TOOL).execute(Tuple.tuple().addUUID(id).addUUID(c.groupId())
              .addBoolean(c.enabled()).addInteger(c.timeoutSeconds()).addString(c.description()).addValue(c.config()))
          .compose(rows -> c.quota().any() ? tx.preparedQuery(UPDATE_TOOL_QUOTA).execute(c.quota().tuple(id))
              .mapEmpty() : Future.succeededFuture())
          .compose(rows -> tx.preparedQuery(GET_TOOL).execute(Tuple.of(id)))
          .compose(t -> {
            JsonObject after = toolJson(t.iterator().next());
            return AuditStore.record(tx, actor, "mcp.tool.update", "mcp_tool", id, before, after)
                .map(Optional.of(after));
          });
    });
  }

  /**
   * An imported tool row (backup_restore), on the import's transaction: the tool {@code toolName} of group
   * {@code groupName} gets the change, audited; the caller calls {@link #announce} after the commit.
   *
   * @return the tool after the change, or empty when it changed nothing (nothing is written then)
   * @throws UnknownToolException (failed future) when the group holds no such tool
   */
  public Future<Optional<JsonObject>> importTool(SqlClient tx, String groupName, String toolName, ToolChange c,
                                                 Actor actor) {
    return tx.preparedQuery(LOCK_TOOL).execute(Tuple.of(groupName, toolName)).compose(found -> {
      if (found.size() == 0) {
        return Future.failedFuture(new UnknownToolException(groupName, toolName));
      }
      UUID id = found.iterator().next().getUUID("id");
      return tx.preparedQuery(GET_TOOL).execute(Tuple.of(id)).compose(t -> {
        JsonObject current = toolJson(t.iterator().next());
        boolean same = (c.enabled() == null || c.enabled().equals(current.getBoolean("enabled")))
            && (c.timeoutSeconds() == null || c.timeoutSeconds().equals(current.getInteger("timeout_seconds")))
            && (c.description() == null || c.description().equals(current.getString("description")))
            && (c.config() == null || c.config().equals(current.getJsonObject("config_data")));
        return same ? Future.succeededFuture(Optional.<JsonObject>empty()) : updateTool(tx, id, c, actor);
      });
    });
  }

  /** An import names a tool its group does not hold. */
  public static final class UnknownToolException extends RuntimeException {
    UnknownToolException(String group, String tool) {
      super("group " + group + " holds no tool " + tool, null, false, false);
    }
  }

  /** Groups (without keys) and tool rows, for an export of the configuration. */
  public Future<JsonObject> export() {
    return Future.all(pool.query(EXPORT_GROUPS).execute(), pool.query(EXPORT_TOOLS).execute()).map(all ->
        new JsonObject().put("mcp_groups", rowsJson(all.resultAt(0))).put("mcp_tools", rowsJson(all.resultAt(1))));
  }

  /** {@code {calls, errors}} over the last {@code hours}. */
  public Future<JsonObject> callFigures(int hours) {
    return pool.preparedQuery(CALL_FIGURES).execute(Tuple.of(hours)).map(rows -> {
      Row r = rows.iterator().next();
      return new JsonObject().put("calls", r.getLong("calls")).put("errors", r.getLong("errors"));
    });
  }

  private static JsonArray rowsJson(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    rows.forEach(r -> {
      JsonObject o = new JsonObject();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.getValue(i);
        o.put(r.getColumnName(i), v instanceof String[] a ? new JsonArray(List.of(a)) : v);
      }
      out.add(o);
    });
    return out;
  }

  /** Which call-log rows: null fields match anything; {@code before} is the id cursor of the next page. */
  public record CallFilter(String tool, UUID groupId, Boolean success, OffsetDateTime from, OffsetDateTime to,
                           UUID subjectUserId, Long before) {
  }

  /** A tool row by id (its group and name), for the test call. */
  public Future<Optional<JsonObject>> tool(UUID id) {
    return pool.preparedQuery(GET_TOOL).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toolJson(rows.iterator().next())));
  }

  /** Call-log rows, newest first: {@code {items, next_before}} ({@code next_before} null on the last page). */
  public Future<JsonObject> calls(CallFilter f, int limit) {
    return pool.preparedQuery(CALLS).execute(Tuple.from(new Object[] {f.tool(), f.groupId(), f.success(), f.from(),
        f.to(), f.subjectUserId(), f.before(), limit})).map(rows -> {
          JsonArray items = new JsonArray();
          Long last = null;
          for (Row r : rows) {
            last = r.getLong("id");
            UUID group = r.getUUID("group_id");
            UUID subject = r.getUUID("subject_user_id");
            items.add(new JsonObject().put("id", last).put("tool", r.getString("tool_name"))
                .put("group_id", group == null ? null : group.toString()).put("group_name", r.getString("group_name"))
                .put("caller", r.getString("caller_app_id"))
                .put("customer", subject == null ? null : new JsonObject().put("id", subject.toString())
                    .put("display_name", r.getString("subject_name")))
                .put("arguments", r.getValue("request_data")).put("response", r.getValue("response_data"))
                .put("success", r.getBoolean("success")).put("error", r.getString("error_message"))
                .put("duration_ms", r.getInteger("duration_ms"))
                .put("at", r.getOffsetDateTime("created_at").toInstant().toString()));
          }
          return new JsonObject().put("items", items).put("next_before", rows.size() == limit ? last : null);
        });
  }

  /** Per tool over the last {@code hours}: calls, errors, error rate, average, p50, p95 and max duration. */
  public Future<JsonArray> metrics(int hours) {
    return pool.preparedQuery(METRICS).execute(Tuple.of(hours)).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        long calls = r.getLong("calls");
        long errors = r.getLong("errors");
        OffsetDateTime last = r.getOffsetDateTime("last_call_at");
        out.add(new JsonObject().put("tool_name", r.getString("tool_name")).put("calls", calls)
            .put("errors", errors).put("error_rate", calls == 0 ? 0.0 : (double) errors / calls)
            .put("avg_ms", round(r.getDouble("avg_ms"))).put("p50_ms", round(r.getDouble("p50_ms")))
            .put("p95_ms", round(r.getDouble("p95_ms"))).put("max_ms", r.getInteger("max_ms"))
            .put("last_call_at", last == null ? null : last.toInstant().toString()));
      }
      return out;
    });
  }

  private static String bounds() {
    StringBuilder b = new StringBuilder("{");
    for (int bound : DURATION_BOUNDS_MS) {
      b.append(b.length() > 1 ? "," : "").append(bound);
    }
    return b.append('}').toString();
  }

  private static Double round(Double v) {
    return v == null ? null : Math.round(v * 10) / 10.0;
  }

  private static Future<Optional<JsonObject>> group(SqlClient client, UUID id) {
    return client.preparedQuery(GET_GROUP).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(groupJson(rows.iterator().next())));
  }

  /** The group, its row locked for the change that follows. */
  private static Future<Optional<JsonObject>> lockedGroup(SqlClient tx, UUID id) {
    return tx.preparedQuery(GET_GROUP + " FOR UPDATE OF g").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(groupJson(rows.iterator().next())));
  }

  private static String iso(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }

  private static <T> Future<T> conflict(Throwable t) {
    if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      String constraint = String.valueOf(pg.getConstraint());
      return Future.failedFuture(new ConflictException(constraint.contains("group_tool")
          ? "the target group already holds a tool of this name" : "a group of this name exists"));
    }
    return Future.failedFuture(t);
  }

  /** The CHECK constraints of V13 that say a burst needs a rate (checked on the row as it ends up). */
  private static <T> Future<T> burstWithoutRate(Throwable t) {
    if (t instanceof PgException pg && "23514".equals(pg.getSqlState())
        && String.valueOf(pg.getConstraint()).endsWith("burst_needs_rate_ck")) {
      return Future.failedFuture(new BurstWithoutRateException());
    }
    return Future.failedFuture(t);
  }

  private static McpGroup.Quota quota(Row r, String rate, String burst, String max) {
    return new McpGroup.Quota(r.getDouble(rate), r.getInteger(burst), r.getInteger(max));
  }

  private static JsonObject groupJson(Row r) {
    OffsetDateTime rotated = r.getOffsetDateTime("key_rotated_at");
    OffsetDateTime previousUntil = r.getOffsetDateTime("previous_key_valid_until");
    OffsetDateTime previousUsed = r.getOffsetDateTime("previous_key_last_used_at");
    UUID createdBy = r.getUUID("created_by");
    return new JsonObject().put("id", r.getUUID("id").toString()).put("name", r.getString("name"))
        .put("description", r.getString("description")).put("enabled", r.getBoolean("enabled"))
        .put("user_tier", r.getString("user_tier"))
        .put("allowed_roles", new JsonArray(List.of(r.getArrayOfStrings("allowed_roles"))))
        .put("requires_context_token", r.getBoolean("requires_context_token"))
        .put("has_key", r.getBoolean("has_key"))
        .put("key_rotated_at", rotated == null ? null : rotated.toInstant().toString())
        .put("tools", new JsonArray(List.of(r.getArrayOfStrings("tools"))))
        .put("enabled_tools", new JsonArray(List.of(r.getArrayOfStrings("enabled_tools"))))
        .put("rate_per_second", r.getDouble("rate_per_second")).put("burst", r.getInteger("burst"))
        .put("max_concurrent", r.getInteger("max_concurrent"))
        .put("previous_key_valid_until", previousUntil == null ? null : previousUntil.toInstant().toString())
        .put("previous_key_last_used_at", previousUsed == null ? null : previousUsed.toInstant().toString())
        .put("created_by", createdBy == null ? null : createdBy.toString())
        .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())
        .put("updated_at", r.getOffsetDateTime("updated_at").toInstant().toString());
  }

  private static JsonObject toolJson(Row r) {
    Object config = r.getValue("config_data");
    return new JsonObject().put("id", r.getUUID("id").toString()).put("tool_name", r.getString("tool_name"))
        .put("group_id", r.getUUID("group_id").toString()).put("group_name", r.getString("group_name"))
        .put("version", r.getString("version")).put("description", r.getString("description"))
        .put("enabled", r.getBoolean("enabled")).put("timeout_seconds", r.getInteger("timeout_seconds"))
        .put("config_data", config instanceof JsonObject o ? o : new JsonObject())
        .put("rate_per_second", r.getDouble("rate_per_second")).put("burst", r.getInteger("burst"))
        .put("max_concurrent", r.getInteger("max_concurrent"))
        .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())
        .put("updated_at", r.getOffsetDateTime("updated_at").toInstant().toString());
  }
}
