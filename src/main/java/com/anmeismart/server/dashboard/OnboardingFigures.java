package com.anmeismart.server.dashboard;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The registration figures of a window, merged from the per-day rollup of {@link OnboardingDays} (a read model: it
 * writes nothing). Counts are exact sums; percentiles are estimates interpolated within a bucket ({@link Buckets}).
 * The four reads run in one repeatable-read transaction, so a refresh committing in between cannot pair one
 * state's counts with another's buckets.
 */
final class OnboardingFigures {

  /** $1 the zone, $2 the days: the window's first day, today, and the first day's local midnight. */
  private static final String WINDOW = "SELECT x.d0, x.today, (x.d0::timestamp AT TIME ZONE $1) AS t0 FROM (SELECT "
      + "(now() AT TIME ZONE $1)::date - ($2::int - 1) AS d0, (now() AT TIME ZONE $1)::date AS today) x";

  private static final String COUNTS = "SELECT day, status, source, fallback_reason, config_id, config_version, "
      + "registrations, welcomed, welcome_ms_sum, welcome_ms_n, claimed, replied_24h, answered, escalated "
      + "FROM onboarding_daily WHERE day >= $1";

  /** The buckets summed three ways: over the window (g = 7), per day (3), per config and version (4). */
  private static final String BUCKETS = "SELECT GROUPING(day, config_id, config_version) AS g, day, config_id, "
      + "config_version, measure, bucket, sum(n)::bigint AS n FROM onboarding_daily_buckets WHERE day >= $1 "
      + "GROUP BY GROUPING SETS ((measure, bucket), (day, measure, bucket), (config_id, config_version, measure, "
      + "bucket))";

  /**
   * $1 the window's start: welcomes of the window's registrations whose 24 hours are not over and that are not
   * answered yet, per config and version; a welcome's reply is due once either happens. (The only figure that
   * depends on the clock, not on the rows: read from the facts, the last day's few thousand at most.)
   */
  private static final String NOT_DUE = "SELECT f.config_id, coalesce(f.config_version, '') AS config_version, "
      + "count(*) AS n FROM onboarding_facts f WHERE f.welcome_at >= now() - interval '24 hours' "
      + "AND f.registered_at >= $1 AND f.config_id IS NOT NULL AND NOT coalesce(" + OnboardingDays.ANSWERED
      + ", false) GROUP BY 1, 2";

  private static final String NAMES = "SELECT id::text AS id, name FROM dify_configs";

  /**
   * $1 the window's start: the welcome guard's verdicts (SPEC §11) and how often each rule fired. Counted from the
   * facts, not yet from the rollup: counts only (no sort), the window's rows through the registration index.
   */
  private static final String GUARD = "SELECT json_build_object("
      + "'passed', count(*) FILTER (WHERE g.guard_result = 'passed'), "
      + "'trimmed', count(*) FILTER (WHERE g.guard_result = 'trimmed'), "
      + "'replaced', count(*) FILTER (WHERE g.guard_result = 'replaced'), "
      + "'disabled', count(*) FILTER (WHERE g.guard_result = 'disabled'), "
      + "'rules', (SELECT coalesce(json_object_agg(q.rule, q.n), '{}'::json) FROM (SELECT r.rule, count(*) AS n "
      + "  FROM onboarding_facts y, unnest(y.guard_rules) AS r (rule) WHERE y.registered_at >= $1 "
      + "  AND y.guard_result IN ('trimmed', 'replaced') GROUP BY 1) q)) AS guard "
      + "FROM onboarding_facts g WHERE g.registered_at >= $1 AND g.guard_result IS NOT NULL";

  private final Pool pool;

  OnboardingFigures(Pool pool) {
    this.pool = pool;
  }

  /** The same shape {@link DashboardQueries#registrations} always answered: totals, daily, reasons, configs. */
  Future<JsonObject> read(ZoneId zone, int days) {
    return pool.withTransaction(tx -> tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute().compose(v -> tx.preparedQuery(WINDOW).execute(Tuple.of(zone.getId(), days)))
        .compose(rows -> read(tx, rows.iterator().next())));
  }

  private Future<JsonObject> read(SqlConnection tx, Row window) {
    LocalDate d0 = window.getLocalDate("d0");
    Sums sums = new Sums(d0, window.getLocalDate("today"));
    return tx.preparedQuery(COUNTS).execute(Tuple.of(d0)).map(rows -> {
      rows.forEach(sums::count);
      return sums;
    }).compose(s -> tx.preparedQuery(BUCKETS).execute(Tuple.of(d0))).map(rows -> {
      rows.forEach(sums::buckets);
      return sums;
    }).compose(s -> tx.preparedQuery(NOT_DUE).execute(Tuple.of(window.getOffsetDateTime("t0")))).map(rows -> {
      rows.forEach(r -> sums.config(r.getString("config_id"), r.getString("config_version")).notDue
          += r.getLong("n"));
      return sums;
    }).compose(s -> tx.preparedQuery(GUARD).execute(Tuple.of(window.getOffsetDateTime("t0")))).map(rows -> {
      Object guard = rows.iterator().next().getValue("guard");
      sums.guard = guard instanceof JsonObject o ? o : new JsonObject();
      return sums;
    }).compose(s -> tx.query(NAMES).execute()).map(rows -> {
      Map<String, String> names = new HashMap<>();
      rows.forEach(r -> names.put(r.getString("id"), r.getString("name")));
      return sums.json(names);
    });
  }

  /** A distribution's bucket counts. */
  private static final class Histogram {
    final Buckets scale;
    final long[] counts;

    Histogram(Buckets scale) {
      this.scale = scale;
      this.counts = new long[scale.size()];
    }

    void add(int bucket, long n) {
      counts[Math.max(0, Math.min(counts.length - 1, bucket))] += n;
    }

    /** The quantiles, or null without data (as {@code percentile_cont(ARRAY[…])} over no rows). */
    JsonArray quantiles(double... qs) {
      JsonArray out = new JsonArray();
      for (double q : qs) {
        Double v = scale.quantile(counts, q);
        if (v == null) {
          return null;
        }
        out.add(v);
      }
      return out;
    }
  }

  private static final class Day {
    long registrations;
    long succeeded;
    long failed;
    long dead;
    long fallbacks;
    long claimed;
    final Histogram claim = new Histogram(Buckets.MINUTES);
    final Histogram reply = new Histogram(Buckets.MINUTES);
  }

  private static final class Variant {
    final String id;
    final String version;
    long calls;
    long succeeded;
    long replied;
    long welcomed;
    long notDue;
    long claimed;
    final Histogram agent = new Histogram(Buckets.MILLISECONDS);
    final Histogram claim = new Histogram(Buckets.MINUTES);

    Variant(String id, String version) {
      this.id = id;
      this.version = version;
    }
  }

  /** The window's sums, filled row by row. */
  private static final class Sums {
    final Map<String, Long> totals = new LinkedHashMap<>();
    final Map<String, Long> reasons = new TreeMap<>();
    final Map<LocalDate, Day> daily = new TreeMap<>();
    final Map<String, Variant> variants = new HashMap<>();
    /** Today's registrations by outcome so far (as {@link DashboardQueries#today}, from the rollup). */
    final Map<String, Long> today = new LinkedHashMap<>();
    final LocalDate todayDate;
    final Histogram welcome = new Histogram(Buckets.MILLISECONDS);
    final Histogram claim = new Histogram(Buckets.MINUTES);
    final Histogram reply = new Histogram(Buckets.MINUTES);
    double welcomeMsSum;
    long welcomeMsN;
    JsonObject guard = new JsonObject();

    Sums(LocalDate d0, LocalDate today) {
      this.todayDate = today;
      for (String k : new String[] {"registrations", "succeeded", "failed", "dead", "running", "fallbacks"}) {
        this.today.put(k, 0L);
      }
      for (String k : new String[] {"total", "succeeded", "failed", "dead", "running", "skipped", "dify_calls",
          "dify", "local_agent", "fallback", "claimed", "escalated"}) {
        totals.put(k, 0L);
      }
      for (LocalDate d = d0; !d.isAfter(today); d = d.plusDays(1)) {
        daily.put(d, new Day());
      }
    }

    Variant config(String id, String version) {
      return variants.computeIfAbsent(id + '\u0000' + version, k -> new Variant(id, version));
    }

    void count(Row r) {
      long n = r.getLong("registrations");
      String status = r.getString("status");
      String source = r.getString("source");
      String configId = r.getString("config_id");
      boolean fallback = "fallback".equals(source);
      String statusKey = switch (status) {
        case "pending", "running" -> "running";
        default -> status;
      };
      totals.merge("total", n, Long::sum);
      totals.merge(statusKey, n, Long::sum);
      totals.merge("claimed", r.getLong("claimed"), Long::sum);
      totals.merge("escalated", r.getLong("escalated"), Long::sum);
      if (source != null) {
        totals.merge(source.equals("local-agent") ? "local_agent" : source, n, Long::sum);
      }
      if (fallback) {
        reasons.merge(r.getString("fallback_reason"), n, Long::sum);
      }
      welcomeMsSum += r.getDouble("welcome_ms_sum");
      welcomeMsN += r.getLong("welcome_ms_n");
      if (todayDate.equals(r.getLocalDate("day"))) {
        today.merge("registrations", n, Long::sum);
        today.computeIfPresent(statusKey, (k, v) -> v + n); // skipped jobs are not among the counters
        today.merge("fallbacks", fallback ? n : 0, Long::sum);
      }
      Day day = daily.get(r.getLocalDate("day"));
      if (day != null) {
        day.registrations += n;
        day.succeeded += "succeeded".equals(status) ? n : 0;
        day.failed += "failed".equals(status) ? n : 0;
        day.dead += "dead".equals(status) ? n : 0;
        day.fallbacks += fallback ? n : 0;
        day.claimed += r.getLong("claimed");
      }
      if (configId != null) {
        totals.merge("dify_calls", n, Long::sum);
        String version = r.getString("config_version");
        Variant v = config(configId, version == null ? "" : version);
        v.calls += n;
        v.succeeded += source != null && !fallback ? n : 0;
        v.replied += r.getLong("replied_24h");
        v.welcomed += r.getLong("welcomed");
        v.claimed += r.getLong("claimed");
      }
    }

    void buckets(Row r) {
      String measure = r.getString("measure");
      int bucket = r.getInteger("bucket");
      long n = r.getLong("n");
      switch (r.getInteger("g")) {
        case 7 -> {
          switch (measure) {
            case "welcome_ms" -> welcome.add(bucket, n);
            case "claim_minutes" -> claim.add(bucket, n);
            case "reply_minutes" -> reply.add(bucket, n);
            default -> { } // agent_ms is per config only
          }
        }
        case 3 -> {
          Day day = daily.get(r.getLocalDate("day"));
          if (day != null && measure.equals("claim_minutes")) {
            day.claim.add(bucket, n);
          } else if (day != null && measure.equals("reply_minutes")) {
            day.reply.add(bucket, n);
          }
        }
        case 4 -> {
          String id = r.getString("config_id");
          if (id.isEmpty()) {
            return; // registrations without an agent's welcome
          }
          if (measure.equals("agent_ms")) {
            config(id, r.getString("config_version")).agent.add(bucket, n);
          } else if (measure.equals("claim_minutes")) {
            config(id, r.getString("config_version")).claim.add(bucket, n);
          }
        }
        default -> { }
      }
    }

    JsonObject json(Map<String, String> names) {
      JsonObject t = new JsonObject();
      totals.forEach(t::put);
      t.put("welcome_avg_ms", welcomeMsN == 0 ? null : welcomeMsSum / welcomeMsN)
          .put("welcome_ms", welcome.quantiles(0.5, 0.95, 0.99))
          .put("claim_min", claim.quantiles(0.5, 0.9)).put("reply_min", reply.quantiles(0.5, 0.9));
      JsonArray days = new JsonArray();
      daily.forEach((date, d) -> days.add(new JsonObject().put("date", date.toString())
          .put("registrations", d.registrations).put("succeeded", d.succeeded).put("failed", d.failed)
          .put("dead", d.dead).put("fallbacks", d.fallbacks).put("claimed", d.claimed)
          .put("claim_minutes_p50", d.claim.scale.quantile(d.claim.counts, 0.5))
          .put("first_reply_minutes_p50", d.reply.scale.quantile(d.reply.counts, 0.5))));
      List<Variant> list = new ArrayList<>(variants.values());
      list.removeIf(v -> v.calls == 0);
      list.sort(Comparator.comparingLong((Variant v) -> -v.calls).thenComparing(v -> v.id)
          .thenComparing(v -> v.version));
      JsonArray configs = new JsonArray();
      for (Variant v : list) {
        long due = v.welcomed - v.notDue;
        String name = names.getOrDefault(v.id, "local-agent".equals(v.id) ? "内置智能体" : null);
        configs.add(new JsonObject().put("id", v.id).put("name", name).put("version", v.version)
            .put("calls", v.calls).put("succeeded", v.succeeded).put("fallbacks", v.calls - v.succeeded)
            .put("success_rate", (double) v.succeeded / v.calls)
            .put("fallback_rate", (double) (v.calls - v.succeeded) / v.calls)
            .put("p95_ms", v.agent.scale.quantile(v.agent.counts, 0.95)).put("replied_24h", v.replied)
            .put("replied_24h_rate", due > 0 ? (double) v.replied / due : null).put("claimed", v.claimed)
            .put("claim_min", v.claim.quantiles(0.5, 0.9)));
      }
      JsonObject r = new JsonObject();
      reasons.forEach(r::put);
      JsonObject now = new JsonObject();
      today.forEach(now::put);
      return new JsonObject().put("totals", t).put("daily", days).put("reasons", r).put("configs", configs)
          .put("today", now).put("guard", guard);
    }
  }
}
