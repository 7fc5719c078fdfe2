package com.anmeismart.server.dashboard;

import com.anmeismart.server.accounts.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One customer's onboarding as the console shows it (SPEC §9): the registration, each automation step with its
 * time and outcome, the welcome with its source and Dify config, every MCP call made with the customer's context
 * token, each notification per consultant and channel (sent, delivered, pushed, read), the escalation, the claim,
 * the first replies. Also the console's customer search. A read model: it only reads (users, automation jobs and
 * steps, conversations, messages, notifications, customer notices, MCP call logs, Dify configs) and writes nothing.
 * People appear by display name (UserStore's rule: staff by display name, else full name, else username; customers by
 * full name, else username). Also the assignment's offers and the offline-channel sends (the alert ladder).
 */
public final class TimelineQueries {

  /** How a person is named: {@link UserStore#displayName} over the users row of the alias. */
  private static final String NAME = UserStore.displayName("%1$s");

  private static final String CUSTOMER = "SELECT u.id, u.username, " + NAME.formatted("u") + " AS display_name, "
      + "u.email, u.phone, u.gender, u.interests, u.source, u.is_active, u.created_at, j.id AS job_id, "
      + "j.status AS job_status, j.attempts, j.last_step, j.last_error, j.registered_at, j.finished_at, "
      + "c.id AS conversation_id, c.status AS conversation_status, c.claimed_at, c.first_consultant_reply_at, "
      + "c.first_customer_message_at, co.id AS consultant_id, " + NAME.formatted("co") + " AS consultant_name, "
      + "n.notified_at, n.escalated_at "
      + "FROM users u LEFT JOIN automation_jobs j ON j.user_id = u.id "
      + "LEFT JOIN conversations c ON c.customer_id = u.id AND c.is_default "
      + "LEFT JOIN users co ON co.id = c.consultant_id "
      + "LEFT JOIN customer_notices n ON n.conversation_id = c.id "
      + "WHERE u.id = $1 AND u.role = 'customer'";
  private static final String STEPS = "SELECT step, attempt, success, duration_ms, error, created_at "
      + "FROM automation_job_steps WHERE job_id = $1 ORDER BY id";
  private static final String WELCOME = "SELECT m.id, m.content, m.metadata, m.created_at, dc.name AS config_name "
      + "FROM messages m LEFT JOIN dify_configs dc ON dc.id::text = m.metadata ->> 'config_id' "
      + "WHERE m.conversation_id = $1 AND m.kind = 'welcome'";
  private static final String MCP_CALLS = "SELECT l.id, l.tool_name, g.name AS group_name, l.caller_app_id, l.success, "
      + "l.error_message, l.duration_ms, l.created_at FROM mcp_call_logs l "
      + "LEFT JOIN mcp_tool_groups g ON g.id = l.group_id WHERE l.subject_user_id = $1 ORDER BY l.created_at, l.id "
      + "LIMIT 500";
  private static final String NOTIFICATIONS = "SELECT n.id, n.kind, n.channel, n.created_at, n.delivered_at, "
      + "n.pushed_at, n.read_at, u.id AS user_id, u.role, " + NAME.formatted("u") + " AS display_name "
      + "FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.conversation_id = $1 "
      + "ORDER BY n.created_at, display_name";
  private static final String ASSIGNMENT = "SELECT e.event, e.offer_seq, e.detail, e.at, e.consultant_id, "
      + NAME.formatted("u") + " AS consultant_name FROM assignment_events e LEFT JOIN users u ON u.id = e.consultant_id "
      + "WHERE e.conversation_id = $1 ORDER BY e.id";
  private static final String OFFLINE = "SELECT s.channel, s.kind, s.reason, s.status, s.attempts, s.provider_id, "
      + "s.error, s.due_at, s.sent_at, s.updated_at, u.id AS user_id, " + NAME.formatted("u") + " AS display_name "
      + "FROM offline_sends s JOIN users u ON u.id = s.consultant_id WHERE s.conversation_id = $1 "
      + "ORDER BY s.due_at, display_name";
  private static final String SEARCH = "SELECT u.id, u.username, " + NAME.formatted("u") + " AS display_name, u.email, "
      + "u.phone, u.source, u.created_at, j.status AS job_status, c.status AS conversation_status, "
      + NAME.formatted("co") + " AS consultant_name, count(*) OVER () AS total "
      + "FROM users u LEFT JOIN automation_jobs j ON j.user_id = u.id "
      + "LEFT JOIN conversations c ON c.customer_id = u.id AND c.is_default "
      + "LEFT JOIN users co ON co.id = c.consultant_id "
      + "WHERE u.role = 'customer' AND ($1::text IS NULL OR u.username ILIKE $1 OR u.full_name ILIKE $1 "
      + "  OR u.email ILIKE $1 OR u.phone ILIKE $1) "
      + "ORDER BY u.created_at DESC, u.id LIMIT $2 OFFSET $3";

  private final Pool pool;

  public TimelineQueries(Pool pool) {
    this.pool = pool;
  }

  /**
   * Customers whose name, username, email or phone contains {@code text} (any case), newest first; all customers
   * when it is null.
   */
  public Future<JsonObject> search(String text, int limit, int offset) {
    // the text is matched as it is: LIKE's wildcards in it are escaped
    String pattern = text == null ? null
        : "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    return pool.preparedQuery(SEARCH).execute(Tuple.of(pattern, limit, offset)).map(rows -> {
      JsonArray items = new JsonArray();
      long total = 0;
      for (Row r : rows) {
        total = r.getLong("total");
        items.add(new JsonObject().put("id", r.getUUID("id").toString()).put("username", r.getString("username"))
            .put("display_name", r.getString("display_name")).put("email", r.getString("email"))
            .put("phone", r.getString("phone")).put("source", r.getString("source"))
            .put("registered_at", iso(r, "created_at")).put("job_status", r.getString("job_status"))
            .put("conversation_status", r.getString("conversation_status"))
            .put("consultant_name", r.getString("consultant_name")));
      }
      return new JsonObject().put("items", items).put("total", total).put("limit", limit).put("offset", offset);
    });
  }

  /** The customer's timeline, or empty when there is no such customer. */
  public Future<Optional<JsonObject>> timeline(UUID userId) {
    return pool.preparedQuery(CUSTOMER).execute(Tuple.of(userId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.empty());
      }
      Row c = rows.iterator().next();
      UUID jobId = c.getUUID("job_id");
      UUID conversationId = c.getUUID("conversation_id");
      Future<RowSet<Row>> steps = jobId == null ? Future.succeededFuture() : pool.preparedQuery(STEPS)
          .execute(Tuple.of(jobId));
      Future<RowSet<Row>> welcome = conversationId == null ? Future.succeededFuture()
          : pool.preparedQuery(WELCOME).execute(Tuple.of(conversationId));
      Future<RowSet<Row>> calls = pool.preparedQuery(MCP_CALLS).execute(Tuple.of(userId));
      Future<RowSet<Row>> notes = conversationId == null ? Future.succeededFuture()
          : pool.preparedQuery(NOTIFICATIONS).execute(Tuple.of(conversationId));
      Future<RowSet<Row>> offers = conversationId == null ? Future.succeededFuture()
          : pool.preparedQuery(ASSIGNMENT).execute(Tuple.of(conversationId));
      Future<RowSet<Row>> sends = conversationId == null ? Future.succeededFuture()
          : pool.preparedQuery(OFFLINE).execute(Tuple.of(conversationId));
      return Future.all(List.of(steps, welcome, calls, notes, offers, sends)).map(all -> {
        JsonObject timeline = assemble(c, steps.result(), welcome.result(), calls.result(), notes.result());
        return Optional.of(withAssignment(timeline, offers.result(), sends.result()));
      });
    });
  }

  private static JsonObject assemble(Row c, RowSet<Row> steps, RowSet<Row> welcomeRows, RowSet<Row> calls,
                                     RowSet<Row> notes) {
    List<JsonObject> events = new ArrayList<>();
    JsonObject customer = new JsonObject().put("id", c.getUUID("id").toString())
        .put("username", c.getString("username")).put("display_name", c.getString("display_name"))
        .put("email", c.getString("email")).put("phone", c.getString("phone")).put("gender", c.getString("gender"))
        .put("interests", new JsonArray(List.of(c.getArrayOfStrings("interests"))))
        .put("source", c.getString("source")).put("is_active", c.getBoolean("is_active"))
        .put("registered_at", iso(c, "created_at"));
    events.add(event(c.getOffsetDateTime("created_at"), "registered").put("source", c.getString("source")));

    JsonObject job = null;
    if (c.getUUID("job_id") != null) {
      job = new JsonObject().put("id", c.getUUID("job_id").toString()).put("status", c.getString("job_status"))
          .put("attempts", c.getInteger("attempts")).put("last_step", c.getString("last_step"))
          .put("last_error", c.getString("last_error")).put("finished_at", iso(c, "finished_at"));
    }
    JsonArray stepList = new JsonArray();
    if (steps != null) {
      for (Row s : steps) {
        JsonObject step = new JsonObject().put("step", s.getString("step")).put("attempt", s.getInteger("attempt"))
            .put("success", s.getBoolean("success")).put("duration_ms", s.getInteger("duration_ms"))
            .put("error", s.getString("error")).put("at", iso(s, "created_at"));
        stepList.add(step);
        events.add(event(s.getOffsetDateTime("created_at"), "step").mergeIn(step));
      }
    }

    JsonObject welcome = null;
    if (welcomeRows != null && welcomeRows.size() > 0) {
      Row w = welcomeRows.iterator().next();
      JsonObject meta = w.getJsonObject("metadata");
      welcome = new JsonObject().put("message_id", w.getUUID("id").toString()).put("at", iso(w, "created_at"))
          .put("source", meta.getString("source")).put("config_id", meta.getString("config_id"))
          .put("config_name", w.getString("config_name") != null ? w.getString("config_name")
              : "local-agent".equals(meta.getString("config_id")) ? "内置智能体" : null)
          .put("config_version", meta.getString("config_version")).put("latency_ms", meta.getValue("latency_ms"))
          .put("fallback_reason", meta.getString("fallback_reason")).put("content", w.getString("content"))
          .put("guard", meta.getJsonObject("guard"));
      events.add(event(w.getOffsetDateTime("created_at"), "welcome").put("source", welcome.getString("source"))
          .put("config_name", welcome.getString("config_name"))
          .put("config_version", welcome.getString("config_version"))
          .put("fallback_reason", welcome.getString("fallback_reason")));
      JsonObject guard = meta.getJsonObject("guard");
      if (guard != null && !"passed".equals(guard.getString("result"))) {
        // what the welcome guard did, as its own step of the onboarding (the rules, never the dropped text)
        events.add(event(w.getOffsetDateTime("created_at"), "welcome_guard").put("result", guard.getString("result"))
            .put("rules", guard.getJsonArray("rules")).put("dropped", guard.getInteger("dropped")));
      }
    }

    JsonArray callList = new JsonArray();
    for (Row l : calls) {
      JsonObject call = new JsonObject().put("id", l.getLong("id")).put("tool", l.getString("tool_name"))
          .put("group", l.getString("group_name")).put("caller", l.getString("caller_app_id"))
          .put("success", l.getBoolean("success")).put("error", l.getString("error_message"))
          .put("duration_ms", l.getInteger("duration_ms")).put("at", iso(l, "created_at"));
      callList.add(call);
      events.add(event(l.getOffsetDateTime("created_at"), "mcp_call").mergeIn(call));
    }

    JsonArray noteList = new JsonArray();
    if (notes != null) {
      for (Row n : notes) {
        JsonObject note = new JsonObject().put("id", n.getUUID("id").toString()).put("kind", n.getString("kind"))
            .put("channel", n.getString("channel"))
            .put("recipient", new JsonObject().put("id", n.getUUID("user_id").toString())
                .put("display_name", n.getString("display_name")).put("role", n.getString("role")))
            .put("sent_at", iso(n, "created_at")).put("delivered_at", iso(n, "delivered_at"))
            .put("pushed_at", iso(n, "pushed_at")).put("read_at", iso(n, "read_at"));
        noteList.add(note);
        events.add(event(n.getOffsetDateTime("created_at"), "notification").mergeIn(note));
      }
    }

    JsonObject conversation = null;
    if (c.getUUID("conversation_id") != null) {
      JsonObject consultant = c.getUUID("consultant_id") == null ? null : new JsonObject()
          .put("id", c.getUUID("consultant_id").toString()).put("display_name", c.getString("consultant_name"));
      conversation = new JsonObject().put("id", c.getUUID("conversation_id").toString())
          .put("status", c.getString("conversation_status")).put("consultant", consultant)
          .put("notified_at", iso(c, "notified_at")).put("escalated_at", iso(c, "escalated_at"))
          .put("claimed_at", iso(c, "claimed_at"))
          .put("first_consultant_reply_at", iso(c, "first_consultant_reply_at"))
          .put("first_customer_message_at", iso(c, "first_customer_message_at"));
      if (c.getOffsetDateTime("escalated_at") != null) {
        events.add(event(c.getOffsetDateTime("escalated_at"), "escalated"));
      }
      if (c.getOffsetDateTime("claimed_at") != null) {
        events.add(event(c.getOffsetDateTime("claimed_at"), "claimed").put("consultant", consultant));
      }
      if (c.getOffsetDateTime("first_consultant_reply_at") != null) {
        events.add(event(c.getOffsetDateTime("first_consultant_reply_at"), "first_reply")
            .put("consultant", consultant));
      }
      if (c.getOffsetDateTime("first_customer_message_at") != null) {
        events.add(event(c.getOffsetDateTime("first_customer_message_at"), "customer_message"));
      }
    }
    // stable: events of one instant keep the order they were added in (registration, steps, welcome, …)
    events.sort(Comparator.comparing((JsonObject e) -> Instant.parse(e.getString("at"))));
    return new JsonObject().put("customer", customer).put("job", job).put("conversation", conversation)
        .put("welcome", welcome).put("steps", stepList).put("mcp_calls", callList).put("notifications", noteList)
        .put("events", new JsonArray(new ArrayList<>(events)));
  }

  /**
   * The assignment's steps (offered, expired, accepted, broadcast; the claim itself is the conversation's) and the
   * offline-channel sends (Web Push, WeCom: sent, skipped because acknowledged or claimed, failed), merged into the
   * events in time order.
   */
  private static JsonObject withAssignment(JsonObject timeline, RowSet<Row> offers, RowSet<Row> sends) {
    List<JsonObject> events = new ArrayList<>();
    timeline.getJsonArray("events").forEach(e -> events.add((JsonObject) e));
    JsonArray steps = new JsonArray();
    if (offers != null) {
      for (Row o : offers) {
        UUID id = o.getUUID("consultant_id");
        JsonObject step = new JsonObject().put("event", o.getString("event")).put("offer_seq", o.getInteger("offer_seq"))
            .put("detail", o.getString("detail")).put("at", iso(o, "at"))
            .put("consultant", id == null ? null : new JsonObject().put("id", id.toString())
                .put("display_name", o.getString("consultant_name")));
        steps.add(step);
        if (!"claimed".equals(step.getString("event"))) {
          events.add(event(o.getOffsetDateTime("at"), "assignment").mergeIn(step));
        }
      }
    }
    JsonArray offline = new JsonArray();
    if (sends != null) {
      for (Row s : sends) {
        OffsetDateTime at = s.getOffsetDateTime("sent_at") != null ? s.getOffsetDateTime("sent_at")
            : "pending".equals(s.getString("status")) ? s.getOffsetDateTime("due_at") : s.getOffsetDateTime("updated_at");
        JsonObject send = new JsonObject().put("channel", s.getString("channel")).put("kind", s.getString("kind"))
            .put("reason", s.getString("reason")).put("status", s.getString("status"))
            .put("attempts", s.getInteger("attempts")).put("provider_id", s.getString("provider_id"))
            .put("error", s.getString("error")).put("due_at", iso(s, "due_at")).put("sent_at", iso(s, "sent_at"))
            .put("recipient", new JsonObject().put("id", s.getUUID("user_id").toString())
                .put("display_name", s.getString("display_name")));
        offline.add(send);
        events.add(event(at, "offline_send").mergeIn(send));
      }
    }
    events.sort(Comparator.comparing((JsonObject e) -> Instant.parse(e.getString("at"))));
    return timeline.put("assignment", steps).put("offline_sends", offline)
        .put("events", new JsonArray(new ArrayList<>(events)));
  }

  private static JsonObject event(OffsetDateTime at, String type) {
    return new JsonObject().put("at", at.toInstant().toString()).put("type", type);
  }

  private static String iso(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }
}
