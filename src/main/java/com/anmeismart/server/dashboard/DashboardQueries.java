package com.anmeismart.server.dashboard;

import com.anmeismart.server.mcp.McpStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The admin dashboard's figures (SPEC §9), computed by PostgreSQL from rows, so they survive restarts and read the
 * same on every node. A read model: it only reads, across the tables it needs (the registration facts of
 * {@link OnboardingFacts}, the MCP call rollup of {@link McpStore}, automation jobs and steps, conversations,
 * messages, Dify configs, users), and writes nothing; each table keeps its one writer.
 *
 * <p>The window is the last {@code days} days in the clinic's zone, today included, from local midnight of the
 * first day. Registrations are a cohort: a day's figures are about the customers who registered that day (their
 * job's outcome, their welcome, their claim and first reply, whenever those happened). Percentiles are estimates
 * interpolated within a bucket ({@link Buckets}), null when there is nothing to measure.
 */
public final class DashboardQueries {

  /** $1 the zone, $2 the days: the first day of the window and its local midnight as an instant. */
  private static final String WINDOW = "w AS (SELECT d0, (d0::timestamp AT TIME ZONE $1) AS t0, "
      + "(now() AT TIME ZONE $1)::date AS today FROM (SELECT (now() AT TIME ZONE $1)::date - ($2::int - 1) AS d0) x)";

  /** MCP calls of the window per tool and duration bucket, from the rollup. */
  private static final String MCP = "WITH " + WINDOW + " SELECT s.tool_name, s.le, sum(s.calls)::bigint AS calls, "
      + "sum(s.errors)::bigint AS errors FROM w JOIN mcp_call_stats s ON s.slice >= w.t0 GROUP BY 1, 2";

  private static final String RECENT_ERRORS = "WITH " + WINDOW + " SELECT s.created_at, s.job_id, j.user_id, s.step, "
      + "s.error, s.attempt, j.status, coalesce(nullif(u.full_name, ''), u.username) AS display_name "
      + "FROM w JOIN automation_job_steps s ON NOT s.success AND s.created_at >= w.t0 "
      + "JOIN automation_jobs j ON j.id = s.job_id JOIN users u ON u.id = j.user_id "
      + "ORDER BY s.created_at DESC LIMIT $3";

  /** Today's registrations (in the zone $1) by outcome so far. */
  private static final String TODAY = "WITH w AS (SELECT (((now() AT TIME ZONE $1)::date)::timestamp AT TIME ZONE $1) "
      + "AS t0) "
      + "SELECT count(*) AS registrations, count(*) FILTER (WHERE j.status = 'succeeded') AS succeeded, "
      + "count(*) FILTER (WHERE j.status = 'failed') AS failed, count(*) FILTER (WHERE j.status = 'dead') AS dead, "
      + "count(*) FILTER (WHERE j.status IN ('pending', 'running')) AS running, "
      + "count(*) FILTER (WHERE m.metadata ->> 'source' = 'fallback') AS fallbacks "
      + "FROM w JOIN automation_jobs j ON j.registered_at >= w.t0 LEFT JOIN messages m ON m.id = j.welcome_message_id";

  private static final String WAITING = "SELECT count(*) AS n FROM conversations WHERE status = 'open' AND is_default";

  private final Pool pool;
  private final OnboardingFigures figures;

  public DashboardQueries(Pool pool) {
    this.pool = pool;
    this.figures = new OnboardingFigures(pool);
  }

  /**
   * Registrations of the window (bring the facts up to date first, {@link OnboardingFacts#refresh}), from their
   * per-day rollup ({@link OnboardingFigures}): {@code totals} (counts, sources, welcome times {@code welcome_ms:
   * [p50, p95, p99]}, {@code claim_min} and {@code reply_min: [p50, p90]}), {@code daily} (one entry per day,
   * oldest first), {@code reasons} (fallback reasons), {@code configs} (per Dify config and version), {@code guard}
   * (the welcome guard's verdicts and rules), {@code today} (the counters of {@link #today}).
   */
  public Future<JsonObject> registrations(ZoneId zone, int days) {
    return figures.read(zone, days);
  }

  /**
   * MCP calls of the window per tool, from the rollup: {@code tools: [{tool, calls, errors, error_rate, p95_ms}]}
   * (most called first; p95 interpolated within its duration bucket) and {@code calls} in all.
   */
  public Future<JsonObject> mcp(ZoneId zone, int days) {
    return pool.preparedQuery(MCP).execute(Tuple.of(zone.getId(), days)).map(rows -> {
      int buckets = McpStore.DURATION_BOUNDS_MS.length + 1;
      Map<String, long[]> histograms = new TreeMap<>();
      Map<String, Long> errors = new TreeMap<>();
      for (Row r : rows) {
        long[] h = histograms.computeIfAbsent(r.getString("tool_name"), t -> new long[buckets]);
        h[Math.max(0, Math.min(buckets - 1, r.getInteger("le")))] += r.getLong("calls");
        errors.merge(r.getString("tool_name"), r.getLong("errors"), Long::sum);
      }
      List<JsonObject> tools = new ArrayList<>();
      long all = 0;
      for (Map.Entry<String, long[]> e : histograms.entrySet()) {
        long calls = 0;
        for (long n : e.getValue()) {
          calls += n;
        }
        all += calls;
        long failed = errors.get(e.getKey());
        tools.add(new JsonObject().put("tool", e.getKey()).put("calls", calls).put("errors", failed)
            .put("error_rate", calls == 0 ? null : (double) failed / calls)
            .put("p95_ms", quantile(e.getValue(), calls, 0.95)));
      }
      tools.sort(Comparator.comparing((JsonObject t) -> -t.getLong("calls")).thenComparing(t -> t.getString("tool")));
      return new JsonObject().put("tools", new JsonArray(new ArrayList<>(tools))).put("calls", all);
    });
  }

  /**
   * The {@code q} quantile of a duration histogram ({@link McpStore#DURATION_BOUNDS_MS}), interpolated linearly
   * within its bucket (as Prometheus' {@code histogram_quantile}); the open last bucket answers its lower bound.
   */
  static Double quantile(long[] histogram, long total, double q) {
    if (total == 0) {
      return null;
    }
    int[] bounds = McpStore.DURATION_BOUNDS_MS;
    double rank = q * total;
    long below = 0;
    for (int i = 0; i < histogram.length; i++) {
      if (histogram[i] > 0 && below + histogram[i] >= rank) {
        double lower = i == 0 ? 0 : bounds[i - 1];
        if (i >= bounds.length) {
          return lower;
        }
        return lower + (bounds[i] - lower) * (rank - below) / histogram[i];
      }
      below += histogram[i];
    }
    return (double) bounds[bounds.length - 1];
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
