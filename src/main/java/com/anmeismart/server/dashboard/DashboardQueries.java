package com.anmeismart.server.dashboard;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.ZoneId;

/**
 * The admin dashboard's figures (SPEC §9), computed by PostgreSQL from the rows the owning stores write, so they
 * survive restarts and read the same on every node. A read model: it only reads, across the tables it needs
 * (automation jobs and steps, messages, conversations, customer notices, MCP call logs, Dify configs, users), and
 * writes nothing; each table keeps its one writer.
 *
 * <p>The window is the last {@code days} days in the clinic's zone, today included, from local midnight of the
 * first day. Registrations are a cohort: a day's figures are about the customers who registered that day (their
 * job's outcome, their welcome, their claim and first reply, whenever those happened). Percentiles are
 * PostgreSQL's {@code percentile_cont}, null when there is nothing to measure.
 */
public final class DashboardQueries {

  /** $1 the zone, $2 the days: the first day of the window and its local midnight as an instant. */
  private static final String WINDOW = "w AS (SELECT d0, (d0::timestamp AT TIME ZONE $1) AS t0, "
      + "(now() AT TIME ZONE $1)::date AS today FROM (SELECT (now() AT TIME ZONE $1)::date - ($2::int - 1) AS d0) x)";

  /** One row per registration in the window with what became of it. */
  private static final String COHORT = "b AS MATERIALIZED (SELECT j.status, (j.registered_at AT TIME ZONE $1)::date AS day, "
      + "m.metadata ->> 'source' AS source, m.metadata ->> 'fallback_reason' AS reason, "
      + "m.metadata ->> 'config_id' AS config_id, m.metadata ->> 'config_version' AS config_version, "
      + "(m.metadata ->> 'latency_ms')::float8 AS agent_ms, "
      + "extract(epoch FROM m.created_at - j.registered_at) * 1000 AS welcome_ms, "
      + "extract(epoch FROM c.claimed_at - coalesce(n.notified_at, j.registered_at)) / 60 AS claim_min, "
      + "extract(epoch FROM c.first_consultant_reply_at - j.registered_at) / 60 AS reply_min, "
      + "(c.first_customer_message_at >= m.created_at "
      + "  AND c.first_customer_message_at < m.created_at + interval '24 hours') AS replied, "
      // a welcome counts towards the reply rate once its 24 hours are over, or sooner when it was answered
      + "(m.created_at < now() - interval '24 hours' OR c.first_customer_message_at >= m.created_at) AS reply_due, "
      + "c.claimed_at IS NOT NULL AS claimed, n.escalated_at IS NOT NULL AS escalated "
      + "FROM w JOIN automation_jobs j ON j.registered_at >= w.t0 "
      + "LEFT JOIN messages m ON m.id = j.welcome_message_id "
      + "LEFT JOIN conversations c ON c.id = j.conversation_id "
      + "LEFT JOIN customer_notices n ON n.conversation_id = j.conversation_id)";

  private static final String PCT = "percentile_cont(%s) WITHIN GROUP (ORDER BY %s)";

  private static final String TOTALS = "SELECT json_build_object("
      + "'total', count(*), "
      + "'succeeded', count(*) FILTER (WHERE status = 'succeeded'), "
      + "'failed', count(*) FILTER (WHERE status = 'failed'), "
      + "'dead', count(*) FILTER (WHERE status = 'dead'), "
      + "'running', count(*) FILTER (WHERE status IN ('pending', 'running')), "
      + "'skipped', count(*) FILTER (WHERE status = 'skipped'), "
      + "'dify_calls', count(*) FILTER (WHERE config_id IS NOT NULL), "
      + "'welcome_avg_ms', avg(welcome_ms), "
      + "'welcome_p50_ms', " + PCT.formatted("0.5", "welcome_ms") + ", "
      + "'welcome_p95_ms', " + PCT.formatted("0.95", "welcome_ms") + ", "
      + "'welcome_p99_ms', " + PCT.formatted("0.99", "welcome_ms") + ", "
      + "'dify', count(*) FILTER (WHERE source = 'dify'), "
      + "'local_agent', count(*) FILTER (WHERE source = 'local-agent'), "
      + "'fallback', count(*) FILTER (WHERE source = 'fallback'), "
      + "'claim_p50', " + PCT.formatted("0.5", "claim_min") + ", "
      + "'claim_p90', " + PCT.formatted("0.9", "claim_min") + ", "
      + "'reply_p50', " + PCT.formatted("0.5", "reply_min") + ", "
      + "'reply_p90', " + PCT.formatted("0.9", "reply_min") + ", "
      + "'claimed', count(*) FILTER (WHERE claimed), "
      + "'escalated', count(*) FILTER (WHERE escalated)) FROM b";

  private static final String DAILY = "SELECT json_agg(json_build_object('date', d.day, "
      + "'registrations', coalesce(x.registrations, 0), 'succeeded', coalesce(x.succeeded, 0), "
      + "'failed', coalesce(x.failed, 0), 'dead', coalesce(x.dead, 0), 'fallbacks', coalesce(x.fallbacks, 0), "
      + "'claimed', coalesce(x.claimed, 0), 'claim_minutes_p50', x.claim_p50, "
      + "'first_reply_minutes_p50', x.reply_p50) ORDER BY d.day) "
      + "FROM (SELECT generate_series(w.d0, w.today, interval '1 day')::date AS day FROM w) d "
      + "LEFT JOIN (SELECT day, count(*) AS registrations, count(*) FILTER (WHERE status = 'succeeded') AS succeeded, "
      + "  count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE status = 'dead') AS dead, "
      + "  count(*) FILTER (WHERE source = 'fallback') AS fallbacks, count(*) FILTER (WHERE claimed) AS claimed, "
      + "  " + PCT.formatted("0.5", "claim_min") + " AS claim_p50, " + PCT.formatted("0.5", "reply_min")
      + "  AS reply_p50 FROM b GROUP BY day) x ON x.day = d.day";

  private static final String REASONS = "SELECT coalesce(json_object_agg(reason, n), '{}'::json) FROM "
      + "(SELECT coalesce(reason, 'unknown') AS reason, count(*) AS n FROM b WHERE source = 'fallback' GROUP BY 1) r";

  /** Per Dify config and version: the calls its welcomes made and what they led to. */
  private static final String CONFIGS = "SELECT coalesce(json_agg(json_build_object('id', k.config_id, "
      + "'name', coalesce(dc.name, CASE WHEN k.config_id = 'local-agent' THEN '内置智能体' END), "
      + "'version', k.config_version, 'calls', k.calls, 'succeeded', k.succeeded, 'fallbacks', k.calls - k.succeeded, "
      + "'success_rate', k.succeeded::float8 / k.calls, 'fallback_rate', (k.calls - k.succeeded)::float8 / k.calls, "
      + "'p95_ms', k.p95_ms, 'replied_24h', k.replied, "
      + "'replied_24h_rate', CASE WHEN k.reply_due > 0 THEN k.replied::float8 / k.reply_due END, "
      + "'claimed', k.claimed, 'claim_minutes', json_build_object('p50', k.claim_p50, 'p90', k.claim_p90)) "
      + "ORDER BY k.calls DESC, k.config_id, k.config_version), '[]'::json) "
      + "FROM (SELECT config_id, coalesce(config_version, '') AS config_version, count(*) AS calls, "
      + "  count(*) FILTER (WHERE source <> 'fallback') AS succeeded, "
      + "  percentile_cont(0.95) WITHIN GROUP (ORDER BY agent_ms) FILTER (WHERE source <> 'fallback') AS p95_ms, "
      + "  count(*) FILTER (WHERE replied) AS replied, count(*) FILTER (WHERE reply_due) AS reply_due, "
      + "  count(*) FILTER (WHERE claimed) AS claimed, "
      + "  " + PCT.formatted("0.5", "claim_min") + " AS claim_p50, " + PCT.formatted("0.9", "claim_min")
      + "  AS claim_p90 FROM b WHERE config_id IS NOT NULL GROUP BY 1, 2) k "
      + "LEFT JOIN dify_configs dc ON dc.id::text = k.config_id";

  private static final String REGISTRATIONS = "WITH " + WINDOW + ", " + COHORT + " SELECT (" + TOTALS + ") AS totals, ("
      + DAILY + ") AS daily, (" + REASONS + ") AS reasons, (" + CONFIGS + ") AS configs";

  private static final String MCP = "WITH " + WINDOW + " SELECT coalesce(json_agg(json_build_object('tool', t.tool_name, "
      + "'calls', t.calls, 'errors', t.errors, 'error_rate', t.errors::float8 / t.calls, 'p95_ms', t.p95_ms) "
      + "ORDER BY t.calls DESC, t.tool_name), '[]'::json) AS tools, coalesce(sum(t.calls), 0)::bigint AS calls "
      + "FROM (SELECT tool_name, count(*) AS calls, count(*) FILTER (WHERE NOT success) AS errors, "
      + "  percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms "
      + "  FROM w JOIN mcp_call_logs l ON l.created_at >= w.t0 GROUP BY tool_name) t";

  private static final String RECENT_ERRORS = "WITH " + WINDOW + " SELECT s.created_at, s.job_id, j.user_id, s.step, "
      + "s.error, s.attempt, j.status, coalesce(nullif(u.full_name, ''), u.username) AS display_name "
      + "FROM w JOIN automation_job_steps s ON NOT s.success AND s.created_at >= w.t0 "
      + "JOIN automation_jobs j ON j.id = s.job_id JOIN users u ON u.id = j.user_id "
      + "ORDER BY s.created_at DESC LIMIT $3";

  /** Today's registrations (in the zone $1) by outcome so far. */
  private static final String TODAY = "WITH w AS (SELECT (((now() AT TIME ZONE $1)::date)::timestamp AT TIME ZONE $1) AS t0) "
      + "SELECT count(*) AS registrations, count(*) FILTER (WHERE j.status = 'succeeded') AS succeeded, "
      + "count(*) FILTER (WHERE j.status = 'failed') AS failed, count(*) FILTER (WHERE j.status = 'dead') AS dead, "
      + "count(*) FILTER (WHERE j.status IN ('pending', 'running')) AS running, "
      + "count(*) FILTER (WHERE m.metadata ->> 'source' = 'fallback') AS fallbacks "
      + "FROM w JOIN automation_jobs j ON j.registered_at >= w.t0 LEFT JOIN messages m ON m.id = j.welcome_message_id";

  private static final String WAITING = "SELECT count(*) AS n FROM conversations WHERE status = 'open' AND is_default";

  private final Pool pool;

  public DashboardQueries(Pool pool) {
    this.pool = pool;
  }

  /**
   * Registrations of the window: {@code totals} (counts, welcome times, sources, claim and reply minutes),
   * {@code daily} (one entry per day, oldest first), {@code reasons} (fallback reasons), {@code configs} (per Dify
   * config and version).
   */
  public Future<JsonObject> registrations(ZoneId zone, int days) {
    return pool.preparedQuery(REGISTRATIONS).execute(Tuple.of(zone.getId(), days)).map(rows -> {
      Row r = rows.iterator().next();
      return new JsonObject().put("totals", json(r, "totals")).put("daily", array(r, "daily"))
          .put("reasons", json(r, "reasons")).put("configs", array(r, "configs"));
    });
  }

  /** MCP calls of the window per tool ({@code tools}) and in all ({@code calls}). */
  public Future<JsonObject> mcp(ZoneId zone, int days) {
    return pool.preparedQuery(MCP).execute(Tuple.of(zone.getId(), days)).map(rows -> {
      Row r = rows.iterator().next();
      return new JsonObject().put("tools", array(r, "tools")).put("calls", r.getLong("calls"));
    });
  }

  /** The latest failed steps of the window, newest first, with the customer's display name. */
  public Future<JsonArray> recentErrors(ZoneId zone, int days, int limit) {
    return pool.preparedQuery(RECENT_ERRORS).execute(Tuple.of(zone.getId(), days, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject().put("at", r.getOffsetDateTime("created_at").toInstant().toString())
            .put("job_id", r.getUUID("job_id").toString()).put("user_id", r.getUUID("user_id").toString())
            .put("display_name", r.getString("display_name")).put("step", r.getString("step"))
            .put("attempt", r.getInteger("attempt")).put("job_status", r.getString("status"))
            .put("error", r.getString("error")));
      }
      return out;
    });
  }

  /** Today's counters: registrations and what became of them so far, fallbacks. */
  public Future<JsonObject> today(ZoneId zone) {
    return pool.preparedQuery(TODAY).execute(Tuple.of(zone.getId())).map(rows -> {
      Row r = rows.iterator().next();
      JsonObject out = new JsonObject();
      for (String column : new String[] {"registrations", "succeeded", "failed", "dead", "running", "fallbacks"}) {
        out.put(column, r.getLong(column));
      }
      return out;
    });
  }

  /** New customers waiting now: default conversations nobody has claimed yet. */
  public Future<Long> waitingCustomers() {
    return pool.query(WAITING).execute().map(rows -> rows.iterator().next().getLong("n"));
  }

  /** The database's round trip, in milliseconds. */
  public Future<Double> ping() {
    long t0 = System.nanoTime();
    return pool.query("SELECT 1").execute().map(rows -> (System.nanoTime() - t0) / 1e6);
  }

  private static JsonObject json(Row r, String column) {
    Object v = r.getValue(column);
    return v instanceof JsonObject o ? o : new JsonObject();
  }

  private static JsonArray array(Row r, String column) {
    Object v = r.getValue(column);
    return v instanceof JsonArray a ? a : new JsonArray();
  }
}
