package com.anmeismart.server.dashboard;

import com.anmeismart.server.bench.DashboardBench;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The dashboard's per-day rollup ({@code onboarding_daily}, {@code onboarding_daily_buckets}) against a direct
 * computation over the registration facts, for a seeded month (the benchmark's history, 3,000 registrations) in a
 * zone with daylight saving time that is not the rollup's default (so the first refresh sums every day again in
 * it): counts exactly, percentiles within the bucket that holds the true value ({@code percentile_disc}, the
 * order statistic the estimate interpolates in). Then facts that change after their day (a claim and a reply five
 * days on, a registration moved to the day before) move those days' figures on the very next read.
 */
class OnboardingRollupIT {

  static final String ZONE = "America/New_York";
  static final String PATH = "/api/v1/admin/registration-automation/dashboard?days=30";
  /** The window's facts: the last 30 days of the zone, today included. */
  static final String WINDOW = " FROM onboarding_facts f WHERE f.registered_at >= "
      + "(((now() AT TIME ZONE '" + ZONE + "')::date - 29)::timestamp AT TIME ZONE '" + ZONE + "')";
  static TestApp server;
  static Db db;
  static String admin;

  @BeforeAll
  static void start() throws SQLException {
    server = TestApp.start(new JsonObject().put("TIME_ZONE", ZONE));
    db = server.db();
    admin = server.adminToken();
    try (Connection c = server.jdbc(); Statement s = c.createStatement()) {
      DashboardBench.seed(s, 3_000);
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void theRollupIsTheFactsSumAndFollowsChangesAfterTheDay() {
    JsonObject first = read();
    assertThat(db.one("SELECT rollup_layout FROM onboarding_facts_mark").get("rollup_layout").toString())
        .as("summed again in the configured zone").startsWith(ZONE + " ms{");
    assertThat(first.getJsonObject("automation_metrics").getLong("total_automations")).isBetween(2_800L, 3_000L);
    assertMatchesFacts(first);

    // five days on, a consultant claims an old registration's conversation and answers it
    Map<String, Object> old = db.one("SELECT c.id::text AS conv, (j.registered_at AT TIME ZONE '" + ZONE
        + "')::date::text AS day FROM automation_jobs j JOIN conversations c ON c.id = j.conversation_id "
        + "WHERE c.status = 'open' AND j.status = 'succeeded' AND j.registered_at < now() - interval '5 days' "
        + "AND j.registered_at > now() - interval '20 days' LIMIT 1");
    String day = old.get("day").toString();
    long claimedBefore = trend(first, day).getLong("claimed");
    Console.Staff consultant = Console.staff(server, admin, "consultant");
    String conv = old.get("conv").toString();
    assertThat(server.http.post("/api/v1/conversations/" + conv + "/claim", new JsonObject(), consultant.token())
        .status()).isEqualTo(200);
    assertThat(server.http.post("/api/v1/conversations/" + conv + "/messages",
        new JsonObject().put("content", "您好，我是您的顾问"), consultant.token()).status()).isEqualTo(201);

    JsonObject afterClaim = read();
    assertThat(trend(afterClaim, day).getLong("claimed")).as("the claim, on its registration's day, at once")
        .isEqualTo(claimedBefore + 1);
    assertThat(afterClaim.getJsonObject("consultants").getLong("claimed"))
        .isEqualTo(first.getJsonObject("consultants").getLong("claimed") + 1);
    assertMatchesFacts(afterClaim);

    // a registration moved to the day before: one day loses it, the other gains it
    Map<String, Object> moved = db.one("SELECT j.id, (j.registered_at AT TIME ZONE '" + ZONE + "')::date::text AS day, "
        + "((j.registered_at - interval '1 day') AT TIME ZONE '" + ZONE + "')::date::text AS before "
        + "FROM automation_jobs j WHERE j.registered_at BETWEEN now() - interval '10 days' AND now() - interval '3 days' "
        + "LIMIT 1");
    String from = moved.get("day").toString();
    String to = moved.get("before").toString();
    long fromBefore = trend(afterClaim, from).getLong("registrations");
    long toBefore = trend(afterClaim, to).getLong("registrations");
    db.update("UPDATE automation_jobs SET registered_at = registered_at - interval '1 day', updated_at = now() "
        + "WHERE id = ?", (UUID) moved.get("id"));
    JsonObject afterMove = read();
    assertThat(trend(afterMove, from).getLong("registrations")).isEqualTo(fromBefore - 1);
    assertThat(trend(afterMove, to).getLong("registrations")).isEqualTo(toBefore + 1);
    assertMatchesFacts(afterMove);
  }

  static JsonObject read() {
    Http.Res res = server.http.get(PATH, admin);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    return res.json();
  }

  /** Every registration figure of the answer against the facts, computed directly. */
  static void assertMatchesFacts(JsonObject d) {
    JsonObject a = d.getJsonObject("automation_metrics");
    JsonObject c = d.getJsonObject("consultants");
    Map<String, Object> t = db.one("SELECT count(*) AS total, count(*) FILTER (WHERE f.status = 'succeeded') AS ok, "
        + "count(*) FILTER (WHERE f.status = 'failed') AS failed, count(*) FILTER (WHERE f.status = 'dead') AS dead, "
        + "count(*) FILTER (WHERE f.source = 'dify') AS dify, count(*) FILTER (WHERE f.source = 'local-agent') AS la, "
        + "count(*) FILTER (WHERE f.source = 'fallback') AS fb, count(f.config_id) AS dify_calls, "
        + "count(f.claim_minutes) AS claimed, count(*) FILTER (WHERE f.escalated) AS escalated, "
        + "avg(f.welcome_ms) AS avg_ms, "
        + disc(0.5, "f.welcome_ms", "w50") + disc(0.95, "f.welcome_ms", "w95") + disc(0.99, "f.welcome_ms", "w99")
        + disc(0.5, "f.claim_minutes", "c50") + disc(0.9, "f.claim_minutes", "c90")
        + disc(0.5, "f.first_reply_minutes", "r50") + disc(0.9, "f.first_reply_minutes", "r90") + "1 AS one"
        + WINDOW);
    assertThat(a.getLong("total_automations")).isEqualTo(n(t, "total"));
    assertThat(a.getLong("succeeded")).isEqualTo(n(t, "ok"));
    assertThat(a.getLong("failed")).isEqualTo(n(t, "failed")).isPositive();
    assertThat(a.getLong("dead")).isEqualTo(n(t, "dead")).isPositive();
    assertThat(a.getLong("dify_call_count")).isEqualTo(n(t, "dify_calls"));
    JsonObject sources = d.getJsonObject("welcome_sources");
    assertThat(sources.getLong("dify")).isEqualTo(n(t, "dify"));
    assertThat(sources.getLong("local-agent")).isEqualTo(n(t, "la"));
    assertThat(sources.getLong("fallback")).isEqualTo(n(t, "fb"));
    assertThat(d.getJsonObject("fallback_reasons").getLong("first_text_deadline")).isEqualTo(n(t, "fb"));
    assertThat(c.getLong("claimed")).isEqualTo(n(t, "claimed"));
    assertThat(c.getLong("escalated")).isEqualTo(n(t, "escalated"));
    assertThat(a.getDouble("average_response_time_ms")).isCloseTo(((Number) t.get("avg_ms")).doubleValue(),
        within(0.051));
    JsonObject w = a.getJsonObject("welcome_time_ms");
    inBucket(Buckets.MILLISECONDS, w.getDouble("p50"), x(t, "w50"));
    inBucket(Buckets.MILLISECONDS, w.getDouble("p95"), x(t, "w95"));
    inBucket(Buckets.MILLISECONDS, a.getDouble("p95_response_time_ms"), x(t, "w95"));
    inBucket(Buckets.MILLISECONDS, w.getDouble("p99"), x(t, "w99"));
    inBucket(Buckets.MINUTES, c.getJsonObject("claim_minutes").getDouble("p50"), x(t, "c50"));
    inBucket(Buckets.MINUTES, c.getJsonObject("claim_minutes").getDouble("p90"), x(t, "c90"));
    inBucket(Buckets.MINUTES, c.getJsonObject("first_reply_minutes").getDouble("p50"), x(t, "r50"));
    inBucket(Buckets.MINUTES, c.getJsonObject("first_reply_minutes").getDouble("p90"), x(t, "r90"));

    JsonArray trends = a.getJsonArray("daily_trends");
    assertThat(trends).hasSize(30);
    Map<String, Map<String, Object>> days = new HashMap<>();
    for (Map<String, Object> r : db.rows("SELECT (f.registered_at AT TIME ZONE '" + ZONE + "')::date::text AS day, "
        + "count(*) AS n, count(*) FILTER (WHERE f.status = 'succeeded') AS ok, "
        + "count(*) FILTER (WHERE f.status = 'failed') AS failed, count(*) FILTER (WHERE f.status = 'dead') AS dead, "
        + "count(*) FILTER (WHERE f.source = 'fallback') AS fb, count(f.claim_minutes) AS claimed, "
        + disc(0.5, "f.claim_minutes", "claim") + disc(0.5, "f.first_reply_minutes", "reply") + "1 AS one"
        + WINDOW + " GROUP BY 1")) {
      days.put(r.get("day").toString(), r);
    }
    long sum = 0;
    for (Object o : trends) {
      JsonObject day = (JsonObject) o;
      Map<String, Object> x = days.get(day.getString("date"));
      String as = day.getString("date");
      if (x == null) {
        assertThat(day.getLong("registrations")).as(as).isZero();
        continue;
      }
      assertThat(day.getLong("registrations")).as(as).isEqualTo(n(x, "n"));
      assertThat(day.getLong("succeeded")).as(as).isEqualTo(n(x, "ok"));
      assertThat(day.getLong("failed")).as(as).isEqualTo(n(x, "failed"));
      assertThat(day.getLong("dead")).as(as).isEqualTo(n(x, "dead"));
      assertThat(day.getLong("fallbacks")).as(as).isEqualTo(n(x, "fb"));
      assertThat(day.getLong("claimed")).as(as).isEqualTo(n(x, "claimed"));
      if (x.get("claim") != null) {
        inBucket(Buckets.MINUTES, day.getDouble("claim_minutes_p50"), ((Number) x.get("claim")).doubleValue());
      }
      if (x.get("reply") != null) {
        inBucket(Buckets.MINUTES, day.getDouble("first_reply_minutes_p50"), ((Number) x.get("reply")).doubleValue());
      }
      sum += day.getLong("registrations");
    }
    assertThat(sum).isEqualTo(n(t, "total"));

    // today's counters (read from the rollup's today) against the jobs themselves
    Map<String, Object> now = db.one("SELECT count(*) AS n, count(*) FILTER (WHERE j.status = 'succeeded') AS ok, "
        + "count(*) FILTER (WHERE j.status = 'dead') AS dead, count(*) FILTER (WHERE j.status = 'failed') AS failed, "
        + "count(*) FILTER (WHERE m.metadata ->> 'source' = 'fallback') AS fb FROM automation_jobs j "
        + "LEFT JOIN messages m ON m.id = j.welcome_message_id WHERE (j.registered_at AT TIME ZONE '" + ZONE
        + "')::date = (now() AT TIME ZONE '" + ZONE + "')::date");
    JsonObject today = d.getJsonObject("today");
    assertThat(today.getLong("registrations")).isEqualTo(n(now, "n"));
    assertThat(today.getLong("succeeded")).isEqualTo(n(now, "ok"));
    assertThat(today.getLong("dead")).isEqualTo(n(now, "dead"));
    assertThat(today.getLong("failed")).isEqualTo(n(now, "failed"));
    assertThat(today.getLong("fallbacks")).isEqualTo(n(now, "fb"));
    assertThat(today.getLong("running")).isZero();

    JsonArray configs = d.getJsonObject("dify_agent_status").getJsonArray("configs");
    var rows = db.rows("SELECT f.config_id, coalesce(f.config_version, '') AS v, count(*) AS calls, "
        + "count(*) FILTER (WHERE f.source <> 'fallback') AS ok, "
        + "percentile_disc(0.95) WITHIN GROUP (ORDER BY f.agent_ms) FILTER (WHERE f.source <> 'fallback') AS p95, "
        + "count(*) FILTER (WHERE " + OnboardingDays.REPLIED + ") AS replied, "
        + "count(*) FILTER (WHERE f.welcome_at < now() - interval '24 hours' OR " + OnboardingDays.ANSWERED
        + ") AS due, count(f.claim_minutes) AS claimed, "
        + disc(0.5, "f.claim_minutes", "c50") + disc(0.9, "f.claim_minutes", "c90") + "1 AS one" + WINDOW + " AND f.config_id IS NOT NULL GROUP BY 1, 2");
    assertThat(configs).hasSize(rows.size()).hasSizeGreaterThanOrEqualTo(3);
    for (Map<String, Object> r : rows) {
      JsonObject cfg = configs.stream().map(o -> (JsonObject) o)
          .filter(x -> x.getString("id").equals(r.get("config_id")) && x.getString("version").equals(r.get("v")))
          .findFirst().orElseThrow();
      String as = r.get("config_id") + " " + r.get("v");
      assertThat(cfg.getLong("calls")).as(as).isEqualTo(n(r, "calls"));
      assertThat(cfg.getLong("succeeded")).as(as).isEqualTo(n(r, "ok"));
      assertThat(cfg.getLong("fallbacks")).as(as).isEqualTo(n(r, "calls") - n(r, "ok"));
      assertThat(cfg.getLong("replied_24h")).as(as).isEqualTo(n(r, "replied"));
      assertThat(cfg.getDouble("replied_24h_rate")).as(as)
          .isCloseTo((double) n(r, "replied") / n(r, "due"), within(1e-9));
      assertThat(cfg.getLong("claimed")).as(as).isEqualTo(n(r, "claimed"));
      inBucket(Buckets.MILLISECONDS, cfg.getDouble("p95_ms"), ((Number) r.get("p95")).doubleValue());
      inBucket(Buckets.MINUTES, cfg.getJsonObject("claim_minutes").getDouble("p50"), x(r, "c50"));
      inBucket(Buckets.MINUTES, cfg.getJsonObject("claim_minutes").getDouble("p90"), x(r, "c90"));
    }
  }

  /** The estimate lies in the bucket that holds the true value (the answer is rounded to 0.1). */
  static void inBucket(Buckets scale, Double estimate, double exact) {
    int b = scale.of(exact);
    assertThat(estimate).as("estimate of %s (bucket %s–%s)", exact, scale.lower(b), scale.upper(b)).isNotNull()
        .isBetween(scale.lower(b) - 0.05, scale.upper(b) + 0.05);
  }

  static long n(Map<String, Object> row, String column) {
    return ((Number) row.get(column)).longValue();
  }

  static double x(Map<String, Object> row, String column) {
    return ((Number) row.get(column)).doubleValue();
  }

  /** The true {@code q} quantile: the first value whose rank reaches q of the count (the nearest-rank order statistic). */
  static String disc(double q, String column, String as) {
    return "percentile_disc(" + q + ") WITHIN GROUP (ORDER BY " + column + ") AS " + as + ", ";
  }

  static JsonObject trend(JsonObject dashboard, String day) {
    return dashboard.getJsonObject("automation_metrics").getJsonArray("daily_trends").stream()
        .map(o -> (JsonObject) o).filter(t -> day.equals(t.getString("date"))).findFirst()
        .orElseThrow(() -> new AssertionError("no entry for " + day));
  }
}
