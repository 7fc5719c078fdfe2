package com.anmeismart.server.api;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.dashboard.DashboardQueries;
import com.anmeismart.server.dashboard.OnboardingFacts;
import com.anmeismart.server.dashboard.TimelineQueries;
import com.anmeismart.server.notify.Presence;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.UUID;

/**
 * {@code /admin/registration-automation/dashboard}, {@code …/customers} and {@code …/customers/{id}/timeline}
 * (SPEC §9): the figures from PostgreSQL, the health from live probes (a database round trip; the MCP server and
 * the Dify gateway over the bus addresses {@code /ready} uses).
 */
final class DashboardApi {

  private static final long PROBE_TIMEOUT_MS = 2_000;
  private static final int RECENT_ERRORS = 20;

  private final OnboardingFacts facts;
  private final DashboardQueries queries;
  private final TimelineQueries timelines;
  private final Presence presence;
  private final EventBus bus;
  private final ZoneId zone;

  DashboardApi(OnboardingFacts facts, DashboardQueries queries, TimelineQueries timelines, Presence presence,
               EventBus bus, ZoneId zone) {
    this.facts = facts;
    this.queries = queries;
    this.timelines = timelines;
    this.presence = presence;
    this.bus = bus;
    this.zone = zone;
  }

  /** A probe's outcome: up or down, how long it took, and what the part answered. */
  private record Probe(boolean up, double ms, JsonObject body) {
  }

  /** GET …/dashboard?days=N (1–90, default 7). */
  void dashboard(RoutingContext ctx) {
    int days = Params.integer(ctx, "days", 7, 1, 90);
    Future<JsonObject> registrations = facts.refresh().compose(n -> queries.registrations(zone, days));
    Future<JsonObject> mcp = queries.mcp(zone, days);
    Future<JsonArray> errors = queries.recentErrors(zone, days, RECENT_ERRORS);
    // today's counters from the same rollup, just brought up to date (what queries.today reads from the jobs)
    Future<JsonObject> today = registrations.map(r -> r.getJsonObject("today"));
    Future<Long> waiting = queries.waitingCustomers();
    Future<Long> online = presence.onlineConsultants();
    Future<Probe> database = queries.ping().map(ms -> new Probe(true, ms, null))
        .otherwise(t -> new Probe(false, 0, null));
    Future<Probe> mcpProbe = probe(Addresses.MCP_STATUS);
    Future<Probe> difyProbe = probe(Addresses.DIFY_STATUS);
    Future.all(registrations, mcp, errors, waiting, online, today)
        .compose(v -> Future.join(database, mcpProbe, difyProbe))
        .onSuccess(v -> Responses.json(ctx, 200, answer(days, registrations.result(), mcp.result(), errors.result(),
            waiting.result(), online.result(), database.result(), mcpProbe.result(), difyProbe.result())
            // the same counters the console then receives live (LiveCountersVerticle), as they are now
            .put("today", today.result().put("date", LocalDate.now(zone).toString())
                .put("waiting_customers", waiting.result()).put("consultants_online", online.result()))))
        .onFailure(ctx::fail);
  }

  private JsonObject answer(int days, JsonObject reg, JsonObject mcp, JsonArray errors, long waiting, long online,
                            Probe database, Probe mcpProbe, Probe difyProbe) {
    JsonObject t = reg.getJsonObject("totals");
    JsonArray daily = reg.getJsonArray("daily");
    long succeeded = t.getLong("succeeded", 0L);
    long failed = t.getLong("failed", 0L);
    long dead = t.getLong("dead", 0L);
    JsonObject automation = new JsonObject()
        .put("success_rate", rate(succeeded, succeeded + failed + dead))
        .put("total_automations", t.getLong("total", 0L))
        .put("succeeded", succeeded).put("failed", failed).put("dead", dead)
        .put("running", t.getLong("running", 0L)).put("skipped", t.getLong("skipped", 0L))
        .put("mcp_call_count", mcp.getLong("calls"))
        .put("dify_call_count", t.getLong("dify_calls", 0L))
        .put("average_response_time_ms", round(t.getValue("welcome_avg_ms")))
        .put("p95_response_time_ms", at(t, "welcome_ms", 1))
        .put("welcome_time_ms", new JsonObject().put("p50", at(t, "welcome_ms", 0))
            .put("p95", at(t, "welcome_ms", 1)).put("p99", at(t, "welcome_ms", 2)))
        .put("daily_trends", roundDaily(daily));
    JsonObject breakers = difyProbe.body() == null ? new JsonObject()
        : difyProbe.body().getJsonObject("breakers", new JsonObject());
    JsonArray configs = new JsonArray();
    for (Object o : reg.getJsonArray("configs")) {
      JsonObject c = (JsonObject) o;
      c.put("p95_ms", round(c.getValue("p95_ms")));
      c.put("claim_minutes", new JsonObject().put("p50", at(c, "claim_min", 0)).put("p90", at(c, "claim_min", 1)));
      c.remove("claim_min");
      configs.add(c);
    }
    JsonArray tools = new JsonArray();
    for (Object o : mcp.getJsonArray("tools")) {
      JsonObject tool = (JsonObject) o;
      tools.add(tool.put("p95_ms", round(tool.getValue("p95_ms"))));
    }
    return new JsonObject()
        .put("days", days).put("time_zone", zone.getId())
        .put("from", daily.isEmpty() ? null : daily.getJsonObject(0).getString("date"))
        .put("to", daily.isEmpty() ? null : daily.getJsonObject(daily.size() - 1).getString("date"))
        .put("generated_at", Instant.now().toString())
        .put("automation_metrics", automation)
        .put("welcome_sources", new JsonObject().put("dify", t.getLong("dify", 0L))
            .put("local-agent", t.getLong("local_agent", 0L)).put("fallback", t.getLong("fallback", 0L)))
        .put("fallback_reasons", reg.getJsonObject("reasons"))
        // SPEC §11: the welcome guard's verdicts in the window, and the rules that fired
        .put("welcome_guard", reg.getJsonObject("guard"))
        .put("mcp_server_status", new JsonObject().put("status", mcpProbe.up() ? "up" : "down").put("tools", tools))
        .put("dify_agent_status", new JsonObject().put("status", difyProbe.up() ? "up" : "down")
            .put("breakers", breakers).put("configs", configs))
        .put("consultants", new JsonObject().put("online", online).put("waiting_customers", waiting)
            .put("claimed", t.getLong("claimed", 0L))
            .put("claim_minutes", new JsonObject().put("p50", at(t, "claim_min", 0)).put("p90", at(t, "claim_min", 1)))
            .put("first_reply_minutes", new JsonObject().put("p50", at(t, "reply_min", 0))
                .put("p90", at(t, "reply_min", 1)))
            .put("escalated", t.getLong("escalated", 0L)))
        .put("recent_errors", errors)
        .put("system_health", new JsonObject()
            .put("database_status", database.up() ? "up" : "down")
            .put("database_response_time_ms", database.up() ? round(database.ms()) : null)
            .put("mcp_status", mcpProbe.up() ? "up" : "down")
            .put("mcp_response_time_ms", mcpProbe.up() ? round(mcpProbe.ms()) : null)
            .put("dify_status", difyProbe.up() ? "up" : "down")
            .put("dify_response_time_ms", difyProbe.up() ? round(difyProbe.ms()) : null));
  }

  /** GET …/customers?q=&limit=&offset= → customers by name, username, email or phone (newest first). */
  void customers(RoutingContext ctx) {
    String q = ctx.queryParams().get("q");
    q = q == null || q.isBlank() ? null : q.strip();
    if (q != null && q.length() > 100) {
      throw ApiException.badRequest("invalid_parameter", "Invalid query parameter q",
          FieldErrors.of("q", "must be at most 100 characters", "最多 100 个字符"));
    }
    int limit = Params.integer(ctx, "limit", 20, 1, 100);
    int offset = Params.integer(ctx, "offset", 0, 0, 1_000_000);
    timelines.search(q, limit, offset).onSuccess(page -> Responses.json(ctx, 200, page)).onFailure(ctx::fail);
  }

  /** GET …/customers/{user_id}/timeline → the customer's onboarding, event by event. */
  void timeline(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "user_id");
    timelines.timeline(id).onSuccess(found -> {
      if (found.isEmpty()) {
        ctx.fail(ApiException.notFound("Customer"));
      } else {
        Responses.json(ctx, 200, found.get());
      }
    }).onFailure(ctx::fail);
  }

  /** Asks a part over the bus how it is: up when it answers in time. */
  private Future<Probe> probe(String address) {
    long t0 = System.nanoTime();
    return bus.<JsonObject>request(address, null, new DeliveryOptions().setSendTimeout(PROBE_TIMEOUT_MS))
        .map(reply -> new Probe(true, (System.nanoTime() - t0) / 1e6, reply.body()))
        .otherwise(t -> new Probe(false, 0, null));
  }

  private static JsonArray roundDaily(JsonArray daily) {
    for (Object o : daily) {
      JsonObject d = (JsonObject) o;
      d.put("claim_minutes_p50", round(d.getValue("claim_minutes_p50")));
      d.put("first_reply_minutes_p50", round(d.getValue("first_reply_minutes_p50")));
    }
    return daily;
  }

  /** A fraction 0–1, or null when there is nothing to divide (no data is not 0 % nor 100 %). */
  private static Double rate(long part, long whole) {
    return whole == 0 ? null : Math.round((double) part / whole * 10_000) / 10_000.0;
  }

  /** Element {@code i} of a percentile array ({@code percentile_cont(ARRAY[…])}), rounded; null without data. */
  private static Double at(JsonObject o, String key, int i) {
    JsonArray a = o.getJsonArray(key);
    return a == null || a.size() <= i ? null : round(a.getValue(i));
  }

  private static Double round(Object v) {
    return v instanceof Number n ? Math.round(n.doubleValue() * 10) / 10.0 : null;
  }
}
