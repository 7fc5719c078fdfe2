package com.anmeismart.server.bench;

import com.anmeismart.server.mcp.McpStore;
import com.anmeismart.server.testing.Http;
import io.vertx.core.json.JsonObject;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin dashboard with a clinic's month of history: {@code jobs} registrations (default 100,000) spread over
 * the last 30 days, each with its user, default conversation, welcome message (local agent, two Dify variants,
 * 5 % fallbacks), its step-log rows (2 % of jobs failed or dead, with their failed steps), two MCP call-log rows
 * with the customer's context token, two consultant notifications, the escalation notice, and for some a claim, a
 * consultant's reply and the customer's answer, all inserted by SQL. Then {@code GET …/dashboard?days=30} (and
 * {@code days=7}, {@code days=1}) is timed over real HTTP, {@code requests} times each after a warm-up, with the
 * CPU time PostgreSQL spent per read; then days=30 again with one of today's registrations changing before each
 * read (today summed again, as at a clinic's pace); then each statement's CPU time on its own.
 * {@code bench/run.sh DashboardBench [jobs (100000)] [requests (50)]}
 */
public final class DashboardBench {

  private static final String[] SEED = {
      "CREATE TABLE bench_consultants AS SELECT g AS k, gen_random_uuid() AS id FROM generate_series(1, 20) g",
      "INSERT INTO users (id, username, email, password_hash, role, full_name) SELECT id, 'bench_con_' || k, "
          + "'bench_con_' || k || '@bench.example', 'x', 'consultant', '顾问' || k FROM bench_consultants",
      "INSERT INTO dify_configs (id, name, base_url, api_key_enc, version, weight, enabled) VALUES "
          + "('00000000-0000-4000-8000-0000000bec0a', 'bench-a', 'http://127.0.0.1:9/v1', 'x', 'v3', 50, false), "
          + "('00000000-0000-4000-8000-0000000bec0b', 'bench-b', 'http://127.0.0.1:9/v1', 'x', 'v4', 50, false)",
      // one row per registration: ids, when, and the dice that decide what became of it
      "CREATE TABLE bench_seed AS SELECT g AS n, gen_random_uuid() AS user_id, gen_random_uuid() AS job_id, "
          + "gen_random_uuid() AS conv_id, gen_random_uuid() AS msg_id, "
          + "now() - random() * interval '30 days' AS reg, random() AS claim_dice, random() AS source_dice, "
          + "random() AS status_dice, 1 + (random() * 19)::int AS con FROM generate_series(1, %d) g",
      "INSERT INTO users (id, username, email, password_hash, role, full_name, phone, interests, source, created_at, "
          + "updated_at) SELECT user_id, 'bench_' || n, 'bench_' || n || '@bench.example', 'x', 'customer', "
          + "'顾客' || n, '139' || lpad(n::text, 8, '0'), '{补水,光子嫩肤}', 'wechat', reg, reg FROM bench_seed",
      "INSERT INTO conversations (id, customer_id, title, assistant_id, assistant_name, status, is_default, "
          + "is_ai_controlled, consultant_id, claimed_at, first_consultant_reply_at, first_customer_message_at, "
          + "created_at, updated_at) SELECT s.conv_id, s.user_id, '安美智能助手', 'general_ai_assistant', '安美智能助手', "
          + "CASE WHEN s.claim_dice < 0.4 THEN 'claimed' ELSE 'open' END, true, s.claim_dice >= 0.4, "
          + "CASE WHEN s.claim_dice < 0.4 THEN c.id END, "
          + "CASE WHEN s.claim_dice < 0.4 THEN s.reg + s.claim_dice * interval '30 minutes' END, "
          + "CASE WHEN s.claim_dice < 0.3 THEN s.reg + s.claim_dice * interval '40 minutes' END, "
          + "CASE WHEN s.claim_dice < 0.25 OR s.claim_dice > 0.9 THEN s.reg + interval '2 minutes' END, "
          + "s.reg, s.reg FROM bench_seed s JOIN bench_consultants c ON c.k = s.con",
      "INSERT INTO messages (id, conversation_id, sender_type, kind, content, metadata, created_at) SELECT msg_id, "
          + "conv_id, 'ai', 'welcome', '下午好，顾客' || n || '！欢迎来到安美智享 🌸 我是您的专属AI咨询助手，很高兴认识您。"
          + "看到您对「补水」和「光子嫩肤」感兴趣，我已经为您记下了。您可以随时向我咨询医美相关问题，专业顾问也会尽快与您联系。', "
          + "jsonb_build_object('source', CASE WHEN source_dice < 0.05 THEN 'fallback' WHEN source_dice < 0.5 "
          + "  THEN 'dify' ELSE 'local-agent' END, "
          + "'config_id', CASE WHEN source_dice < 0.25 THEN '00000000-0000-4000-8000-0000000bec0a' "
          + "  WHEN source_dice < 0.5 THEN '00000000-0000-4000-8000-0000000bec0b' ELSE 'local-agent' END, "
          + "'config_version', CASE WHEN source_dice < 0.25 THEN 'v3' WHEN source_dice < 0.5 THEN 'v4' ELSE '1' END, "
          + "'latency_ms', (300 + random() * 2000)::int, 'job_id', job_id, "
          + "'fallback_reason', CASE WHEN source_dice < 0.05 THEN 'first_text_deadline' END), "
          + "reg + (0.3 + random() * 2) * interval '1 second' FROM bench_seed",
      "INSERT INTO automation_jobs (id, user_id, status, attempts, next_run_at, conversation_id, welcome, "
          + "welcome_message_id, notify_result, last_step, last_error, registered_at, created_at, updated_at, "
          + "finished_at) SELECT s.job_id, s.user_id, "
          + "CASE WHEN s.status_dice < 0.01 THEN 'dead' WHEN s.status_dice < 0.02 THEN 'failed' ELSE 'succeeded' END, "
          + "CASE WHEN s.status_dice < 0.01 THEN 4 ELSE 1 END, "
          + "CASE WHEN s.status_dice < 0.02 THEN now() + interval '1 year' ELSE s.reg END, s.conv_id, "
          + "m.metadata - 'job_id' || jsonb_build_object('content', m.content), s.msg_id, "
          + "CASE WHEN s.status_dice >= 0.02 THEN '{\"online\":2,\"inbox\":0,\"push\":0}'::jsonb END, "
          + "CASE WHEN s.status_dice < 0.02 THEN 'welcome_sent' ELSE 'consultants_notified' END, "
          + "CASE WHEN s.status_dice < 0.02 THEN 'consultants_notified: nobody is listening on the bus' END, "
          + "s.reg, s.reg, s.reg + interval '3 seconds', CASE WHEN s.status_dice < 0.01 OR s.status_dice >= 0.02 "
          + "THEN s.reg + interval '3 seconds' END FROM bench_seed s JOIN messages m ON m.id = s.msg_id",
      "INSERT INTO automation_job_steps (job_id, step, attempt, success, duration_ms, detail, created_at) "
          + "SELECT s.job_id, st.step, 1, true, (5 + random() * 50)::int, '{}'::jsonb, "
          + "s.reg + st.k * interval '500 milliseconds' FROM bench_seed s CROSS JOIN (VALUES (1, 'conversation_created'), "
          + "(2, 'welcome_generated'), (3, 'welcome_sent'), (4, 'consultants_notified')) AS st (k, step) "
          + "WHERE s.status_dice >= 0.02 OR st.k < 4",
      "INSERT INTO automation_job_steps (job_id, step, attempt, success, duration_ms, error, created_at) "
          + "SELECT s.job_id, 'consultants_notified', a, false, 10000, "
          + "'consultants_notified: nobody is listening on the bus', s.reg + a * interval '10 seconds' "
          + "FROM bench_seed s CROSS JOIN generate_series(1, 4) a "
          + "WHERE s.status_dice < 0.02 AND (s.status_dice < 0.01 OR a = 1)",
      "INSERT INTO messages (conversation_id, sender_id, sender_type, content, created_at) SELECT s.conv_id, "
          + "s.user_id, 'customer', '想了解一下补水项目的价格', c.first_customer_message_at FROM bench_seed s "
          + "JOIN conversations c ON c.id = s.conv_id WHERE c.first_customer_message_at IS NOT NULL",
      "INSERT INTO messages (conversation_id, sender_id, sender_type, content, created_at) SELECT s.conv_id, "
          + "c.consultant_id, 'consultant', '您好，我是您的专属顾问', c.first_consultant_reply_at FROM bench_seed s "
          + "JOIN conversations c ON c.id = s.conv_id WHERE c.first_consultant_reply_at IS NOT NULL",
      "INSERT INTO mcp_call_logs (tool_name, group_id, caller_app_id, request_data, response_data, success, "
          + "error_message, duration_ms, subject_user_id, created_at) SELECT t.tool, "
          + "(SELECT id FROM mcp_tool_groups WHERE name = 'welcome_tools'), 'local-agent', "
          + "jsonb_build_object('context_token', '[redacted]'), "
          + "jsonb_build_object('text', '{\"username\":\"bench_' || s.n || '\"}'), random() > 0.005, NULL, "
          + "(1 + random() * 30)::int, s.user_id, s.reg + t.k * interval '100 milliseconds' "
          + "FROM bench_seed s CROSS JOIN (VALUES (1, 'get_user_profile'), (2, 'service_info')) AS t (k, tool)",
      "INSERT INTO customer_notices (conversation_id, customer_id, notified_at, escalated_at) SELECT conv_id, user_id, "
          + "reg + interval '3 seconds', CASE WHEN claim_dice > 0.95 THEN reg + interval '10 minutes' END FROM bench_seed",
      "INSERT INTO notifications (user_id, kind, dedupe_key, channel, title, body, conversation_id, created_at, "
          + "delivered_at, read_at) SELECT c.id, 'new_customer', 'new_customer:' || s.conv_id, "
          + "CASE WHEN c.k % 2 = 0 THEN 'live' ELSE 'inbox' END, '新客户注册', "
          + "jsonb_build_object('type', 'new_customer', 'conversation_id', s.conv_id), s.conv_id, "
          + "s.reg + interval '3 seconds', CASE WHEN c.k % 2 = 0 THEN s.reg + interval '3.1 seconds' END, "
          + "CASE WHEN s.claim_dice < 0.3 THEN s.reg + interval '5 minutes' END FROM bench_seed s "
          + "JOIN bench_consultants c ON c.k = s.con OR c.k = 1 + s.con % 20",
      "DROP TABLE bench_seed",
      "DROP TABLE bench_consultants",
      // the history went in behind the rollups' backs: the call rollup is counted as V9 does for existing rows, and
      // the facts are caught up by the first dashboard read (timed on its own below), as after restoring a backup
      "DELETE FROM mcp_call_stats",
      "INSERT INTO mcp_call_stats (slice, tool_name, le, calls, errors) SELECT date_bin('15 minutes', created_at, "
          + "TIMESTAMPTZ '2000-01-01 00:00:00+00'), tool_name, width_bucket(coalesce(duration_ms, 0), "
          + "'" + bounds() + "'::int[]), count(*), count(*) FILTER (WHERE NOT success) FROM mcp_call_logs GROUP BY 1, 2, 3",
      "UPDATE onboarding_facts_mark SET refreshed_to = NULL",
      "ANALYZE",
  };

  /**
   * Inserts {@code jobs} registrations of the last 30 days with everything that follows them (see the class
   * comment), behind the rollups' backs; the facts' mark is then null, so the next dashboard read catches up.
   * Also the seeded history of {@code dashboard/OnboardingRollupIT}.
   */
  public static void seed(Statement s, int jobs) throws java.sql.SQLException {
    for (String sql : SEED) {
      s.execute(sql.contains("%d") ? sql.formatted(jobs) : sql);
    }
  }

  private static String bounds() {
    StringBuilder b = new StringBuilder("{");
    for (int bound : McpStore.DURATION_BOUNDS_MS) {
      b.append(b.length() > 1 ? "," : "").append(bound);
    }
    return b.append('}').toString();
  }

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    try (BenchSupport.Server server = new BenchSupport.Server(null)) {
      long t0 = System.nanoTime();
      try (Connection c = server.jdbc(); Statement s = c.createStatement()) {
        seed(s, jobs);
        System.out.printf("%nseeded %d registrations in %.1f s: %s%n", jobs, (System.nanoTime() - t0) / 1e9,
            counts(s));
      }
      String token = server.adminToken();
      long c0 = System.nanoTime();
      check(server.http.get("/api/v1/admin/registration-automation/dashboard?days=30", token));
      System.out.printf("first dashboard read, catching the facts up with all %d registrations: %.0f ms%n", jobs,
          (System.nanoTime() - c0) / 1e6);
      try (Connection c = server.jdbc(); Statement s = c.createStatement()) {
        for (int days : new int[] {30, 7, 1}) {
          timeReads(server, token, s, days, requests, false);
        }
        // as at a clinic's pace: a registration of today changed before every read, so today is summed again
        timeReads(server, token, s, 30, requests, true);
        statementCpu(s, Math.max(20, requests));
      }
    }
    System.exit(0);
  }

  /**
   * Times {@code requests} sequential reads after a warm-up, and the CPU time the server's PostgreSQL backends
   * spent on them ({@code /proc/<pid>/stat}: time on a core, so other processes' load does not count as waiting).
   * With {@code changing}, one of today's conversations gets the customer's first message before each read
   * (outside the timing; its backend is the bench's own, not counted).
   */
  private static void timeReads(BenchSupport.Server server, String token, Statement s, int days, int requests,
                                boolean changing) throws Exception {
    String path = "/api/v1/admin/registration-automation/dashboard?days=" + days;
    for (int i = 0; i < Math.max(5, requests / 5); i++) {
      check(server.http.get(path, token));
    }
    List<Double> ms = new ArrayList<>();
    JsonObject last = null;
    Map<Integer, Long> cpu0 = backendTicks(s);
    for (int i = 0; i < requests; i++) {
      if (changing) {
        s.executeUpdate("UPDATE conversations SET first_customer_message_at = now(), updated_at = now() "
            + "WHERE id = (SELECT c.id FROM automation_jobs j JOIN conversations c ON c.id = j.conversation_id "
            + "WHERE j.registered_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE "
            + "'Asia/Shanghai' ORDER BY c.updated_at LIMIT 1)");
      }
      long r0 = System.nanoTime();
      Http.Res res = server.http.get(path, token);
      ms.add((System.nanoTime() - r0) / 1e6);
      last = check(res);
    }
    Map<Integer, Long> cpu1 = backendTicks(s);
    long ticks = 0;
    for (Map.Entry<Integer, Long> e : cpu1.entrySet()) {
      ticks += e.getValue() - cpu0.getOrDefault(e.getKey(), 0L);
    }
    System.out.printf("GET dashboard?days=%d%s: %s; PostgreSQL CPU %.1f ms per read; total_automations %d, "
            + "mcp calls %d; load average %s%n", days, changing ? " (today changed before each read)" : "",
        BenchSupport.percentiles(ms), ticks * 10.0 / requests,
        last.getJsonObject("automation_metrics").getLong("total_automations"),
        last.getJsonObject("automation_metrics").getLong("mcp_call_count"), loadAverage());
  }

  /** CPU clock ticks (1/100 s) of every client backend but this connection's, by pid. */
  private static Map<Integer, Long> backendTicks(Statement s) throws Exception {
    Map<Integer, Long> out = new HashMap<>();
    try (ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
        + "AND pid <> pg_backend_pid()")) {
      while (rs.next()) {
        long t = ticks(rs.getInt(1));
        if (t >= 0) {
          out.put(rs.getInt(1), t);
        }
      }
    }
    return out;
  }

  /** utime + stime of a process in clock ticks, -1 when it is gone (or PostgreSQL is on another machine). */
  private static long ticks(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (Exception e) {
      return -1;
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "?";
    }
  }

  /**
   * Each statement of a days=30 read, run {@code times} times on this connection (PREPARE/EXECUTE with the
   * product's own SQL text), with the CPU its backend spent per execution.
   */
  private static void statementCpu(Statement s, int times) throws Exception {
    String zone = "'Asia/Shanghai'";
    String d0 = "((now() AT TIME ZONE " + zone + ")::date - 29)";
    String today = "ARRAY[(now() AT TIME ZONE " + zone + ")::date]";
    String[][] statements = {
        {"facts refresh, nothing changed", sql("OnboardingFacts", "REFRESH"), "timestamptz, text",
            "now() - interval '1 minute', " + zone},
        {"window", sql("OnboardingFigures", "WINDOW"), "text, int", zone + ", 30"},
        {"rollup counts", sql("OnboardingFigures", "COUNTS"), "date", d0},
        {"rollup buckets (grouping sets)", sql("OnboardingFigures", "BUCKETS"), "date", d0},
        {"replies not yet due", sql("OnboardingFigures", "NOT_DUE"), "timestamptz",
            "(" + d0 + "::timestamp AT TIME ZONE " + zone + ")"},
        {"MCP per tool", sql("DashboardQueries", "MCP"), "text, int", zone + ", 30"},
        {"recent errors", sql("DashboardQueries", "RECENT_ERRORS"), "text, int, int", zone + ", 30, 20"},
        {"(console's live counters, not in a read)", sql("DashboardQueries", "TODAY"), "text", zone},
        {"waiting customers", sql("DashboardQueries", "WAITING"), "", ""},
        // the four statements that sum a day again go together (each alone would not be repeatable)
        {"today summed again (drop, counts, buckets)", sql("OnboardingDays", "DROP_COUNTS"), "date[]", today,
            sql("OnboardingDays", "DROP_BUCKETS"), "date[]", today, sql("OnboardingDays", "SUM_COUNTS"),
            "date[], text", today + ", " + zone, sql("OnboardingDays", "SUM_BUCKETS"), "date[], text",
            today + ", " + zone},
    };
    int own;
    try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      own = rs.getInt(1);
    }
    System.out.printf("PostgreSQL backend CPU per statement (%d executions each, days=30):%n", times);
    for (int k = 0; k < statements.length; k++) {
      String[] st = statements[k];
      List<String> executes = new ArrayList<>();
      for (int j = 1; j < st.length; j += 3) {
        String name = "bench_" + k + "_" + j;
        s.execute("PREPARE " + name + (st[j + 1].isEmpty() ? "" : "(" + st[j + 1] + ")") + " AS " + st[j]);
        executes.add("EXECUTE " + name + (st[j + 2].isEmpty() ? "" : "(" + st[j + 2] + ")"));
      }
      for (String execute : executes) {
        s.execute(execute); // planned once before timing
      }
      long before = ticks(own);
      for (int i = 0; i < times; i++) {
        for (String execute : executes) {
          s.execute(execute);
        }
      }
      System.out.printf("  %-44s %6.1f ms%n", st[0], (ticks(own) - before) * 10.0 / times);
    }
  }

  /** A statement's SQL text, read from the product's class (the same text the server runs). */
  private static String sql(String className, String field) throws Exception {
    Field f = Class.forName("com.anmeismart.server.dashboard." + className).getDeclaredField(field);
    f.setAccessible(true);
    return (String) f.get(null);
  }

  private static JsonObject check(Http.Res res) {
    if (res.status() != 200) {
      throw new IllegalStateException("dashboard answered " + res.status() + ": " + res.body());
    }
    return res.json();
  }

  private static String counts(Statement s) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String table : new String[] {"automation_jobs", "automation_job_steps", "messages", "conversations",
        "mcp_call_logs", "notifications", "customer_notices"}) {
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
        rs.next();
        out.append(out.length() == 0 ? "" : ", ").append(table).append(' ').append(rs.getLong(1));
      }
    }
    return out.toString();
  }
}
