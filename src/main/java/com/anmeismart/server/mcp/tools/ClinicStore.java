package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** All SQL the MCP tools run: users, catalogue, FAQ, appointments, records, plans, settings, figures. */
public final class ClinicStore {


  private static final String PROFILE = "SELECT u.id, u.username, u.email, u.role, u.full_name, u.phone, u.gender, "
      + "u.birth_date, u.interests, u.source, u.is_active, u.created_at, "
      + "(SELECT count(*) FROM conversations c WHERE c.customer_id = u.id) AS conversations, "
      + "(SELECT c.id FROM conversations c WHERE c.customer_id = u.id AND c.is_default) AS default_conversation_id, "
      + "(SELECT count(*) FROM appointments a WHERE a.customer_id = u.id AND a.status = 'booked') AS appointments, "
      + "(SELECT count(*) FROM treatment_plans p WHERE p.customer_id = u.id) AS plans, "
      + "(SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
      + "  WHERE c.customer_id = u.id AND m.sender_type = 'customer') AS customer_messages "
      + "FROM users u WHERE u.id = $1";
  private static final String SERVICE_COLUMNS = "id, name, name_en, category, description, price_min, price_max, "
      + "duration_minutes, sessions, recovery, keywords, contraindications, contraindication_notes";
  private static final String CATALOGUE = "SELECT " + SERVICE_COLUMNS + " FROM service_catalogue WHERE active "
      + "ORDER BY price_min";
  /** The catalogue is small and changes rarely: kept in memory for this long, so lookups cost no query. */
  private static final long CATALOGUE_TTL_MS = 30_000;
  private static final String FAQ = "SELECT id, category, question, answer, (SELECT count(*) FROM unnest($1::text[]) w "
      + "WHERE question ILIKE '%' || w || '%' OR answer ILIKE '%' || w || '%' "
      + "OR EXISTS (SELECT 1 FROM unnest(keywords) k WHERE k ILIKE '%' || w || '%' OR w ILIKE '%' || k || '%')) AS score "
      + "FROM faq ORDER BY score DESC, id LIMIT $2";
  private static final String USERS = "SELECT id, username, role, full_name, is_active, created_at FROM users "
      + "WHERE ($1::text IS NULL OR role = $1) AND ($2::uuid IS NULL OR id = $2) "
      + "AND ($3::text IS NULL OR username ILIKE '%' || $3 || '%' OR full_name ILIKE '%' || $3 || '%') "
      + "ORDER BY created_at DESC LIMIT $4";
  private static final String SET_ACTIVE = "UPDATE users SET is_active = $2, updated_at = now() WHERE id = $1 "
      + "AND role <> 'admin' RETURNING id, username, role, is_active";
  private static final String SETTINGS = "SELECT key, value, updated_at FROM system_settings "
      + "WHERE ($1::text IS NULL OR key = $1) ORDER BY key";
  private static final String PUT_SETTING = "INSERT INTO system_settings (key, value, updated_at) VALUES ($1, $2, now()) "
      + "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now() RETURNING key, value, updated_at";
  private static final String EXPORT_GROUPS = "SELECT name, description, enabled, user_tier, allowed_roles, "
      + "requires_context_token FROM mcp_tool_groups ORDER BY name";
  private static final String EXPORT_TOOLS = "SELECT g.name AS group_name, t.tool_name, t.enabled, t.timeout_seconds, "
      + "t.description, t.config_data FROM mcp_tools t JOIN mcp_tool_groups g ON g.id = t.group_id ORDER BY 1, 2";
  private static final String EXPORT_DIFY = "SELECT name, purpose, base_url, app_id, mode, response_mode, version, "
      + "weight, enabled, timeout_ms FROM dify_configs ORDER BY name";
  private static final String IMPORT_TOOL = "UPDATE mcp_tools t SET enabled = $3, timeout_seconds = $4, "
      + "description = coalesce($5, t.description), config_data = coalesce($6, t.config_data), updated_at = now() "
      + "FROM mcp_tool_groups g WHERE g.id = t.group_id AND g.name = $1 AND t.tool_name = $2";
  private static final String METRICS = "SELECT "
      + "(SELECT count(*) FROM users WHERE role = 'customer') AS customers, "
      + "(SELECT count(*) FROM users WHERE role = 'customer' AND created_at > now() - interval '1 day') AS reg_1d, "
      + "(SELECT count(*) FROM users WHERE role = 'customer' AND created_at > now() - interval '7 days') AS reg_7d, "
      + "(SELECT count(*) FROM users WHERE role <> 'customer' AND is_active) AS active_staff, "
      + "(SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM automation_jobs GROUP BY status) s) "
      + "  AS jobs, "
      + "(SELECT count(*) FROM mcp_call_logs WHERE created_at > now() - interval '1 day') AS mcp_calls_1d, "
      + "(SELECT count(*) FROM mcp_call_logs WHERE created_at > now() - interval '1 day' AND NOT success) "
      + "  AS mcp_errors_1d, "
      + "(SELECT count(*) FROM appointments WHERE status = 'booked') AS appointments_booked, "
      + "(SELECT count(*) FROM conversations WHERE status = 'open') AS conversations_open";
  private static final String RECORDS = "SELECT id, record_type, title, notes, conditions, doctor_name, recorded_at "
      + "FROM medical_records WHERE patient_id = $1 AND ($2::text IS NULL OR record_type = $2) "
      + "ORDER BY recorded_at DESC LIMIT $3";
  private static final String CONVERSATIONS = "SELECT c.id, c.title, c.status, c.is_default, c.consultant_id, "
      + "c.created_at, c.updated_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS messages, "
      + "(SELECT m.content FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) AS last_message "
      + "FROM conversations c WHERE c.customer_id = $1 ORDER BY c.created_at DESC LIMIT $2";
  private static final String CONVERSATION = "SELECT id, customer_id, title, status, consultant_id, created_at "
      + "FROM conversations WHERE id = $1";
  private static final String MESSAGES = "SELECT seq, id, sender_type, kind, content, created_at FROM messages "
      + "WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2";
  private static final String INSERT_PLAN = "INSERT INTO treatment_plans (customer_id, title, goals, items, excluded, "
      + "price_min, price_max, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, 'mcp:plan_generation') "
      + "RETURNING id, created_at";
  private static final String ENSURE_SLOTS = "INSERT INTO appointment_slots (starts_at, room) "
      + "SELECT (($1::date + h * interval '1 hour') AT TIME ZONE $2), r "
      + "FROM generate_series(10, 19) h, unnest(ARRAY['A1', 'A2']) r ON CONFLICT DO NOTHING";
  private static final String SLOTS = "SELECT s.id, s.starts_at, s.room, EXISTS (SELECT 1 FROM appointments a "
      + "WHERE a.slot_id = s.id AND a.status = 'booked') AS taken FROM appointment_slots s "
      + "WHERE s.starts_at >= ($1::date AT TIME ZONE $2) "
      + "AND s.starts_at < (($1::date + 1) AT TIME ZONE $2) ORDER BY s.starts_at, s.room";
  private static final String BOOK = "INSERT INTO appointments (slot_id, customer_id, service_id, note) "
      + "SELECT s.id, $2, $3, $4 FROM appointment_slots s WHERE s.id = $1 AND s.starts_at > now() "
      + "RETURNING id, slot_id, service_id, status, created_at, (SELECT starts_at FROM appointment_slots WHERE id = $1) "
      + "AS starts_at";
  private static final String CANCEL = "UPDATE appointments SET status = 'cancelled', cancelled_at = now() "
      + "WHERE id = $1 AND ($2::uuid IS NULL OR customer_id = $2) AND status = 'booked' RETURNING id, status";
  private static final String APPOINTMENTS = "SELECT a.id, a.service_id, c.name AS service_name, a.status, s.starts_at, "
      + "s.room, a.created_at FROM appointments a JOIN appointment_slots s ON s.id = a.slot_id "
      + "JOIN service_catalogue c ON c.id = a.service_id WHERE a.customer_id = $1 ORDER BY s.starts_at DESC LIMIT 50";

  private record Service(JsonObject json, String id, String category, List<String> texts, List<String> keywords) {
  }

  private record Scored(Service service, int score) {
  }

  private final Pool pool;
  /** The clinic's time zone ({@code TIME_ZONE}): slots and "today" are in its local time. */
  private final ZoneId zone;
  private volatile List<Service> catalogue;
  private volatile long catalogueAt;

  public ClinicStore(Pool pool, ZoneId zone) {
    this.pool = pool;
    this.zone = zone;
  }

  ZoneId zone() {
    return zone;
  }

  private Future<List<Service>> catalogue() {
    List<Service> c = catalogue;
    if (c != null && System.currentTimeMillis() - catalogueAt < CATALOGUE_TTL_MS) {
      return Future.succeededFuture(c);
    }
    return pool.query(CATALOGUE).execute().map(rows -> {
      List<Service> loaded = new java.util.ArrayList<>();
      for (Row r : rows) {
        loaded.add(new Service(service(r), r.getString("id"), r.getString("category"),
            List.of(r.getString("name").toLowerCase(), r.getString("name_en").toLowerCase(),
                r.getString("description").toLowerCase()),
            java.util.Arrays.stream(r.getArrayOfStrings("keywords")).map(String::toLowerCase).toList()));
      }
      catalogue = List.copyOf(loaded);
      catalogueAt = System.currentTimeMillis();
      return catalogue;
    });
  }

  /** How many of the words a service matches: in its name or description, or a keyword either way round. */
  private static int score(Service s, List<String> words) {
    int score = 0;
    for (String w : words) {
      if (matches(s, w)) {
        score++;
      }
    }
    return score;
  }

  // Plain loops: this runs for every catalogue entry on every profile call.
  private static boolean matches(Service s, String w) {
    for (String t : s.texts()) {
      if (t.contains(w)) {
        return true;
      }
    }
    for (String k : s.keywords()) {
      if (k.contains(w) || w.contains(k)) {
        return true;
      }
    }
    return false;
  }

  public Future<Optional<JsonObject>> profile(UUID userId) {
    return pool.preparedQuery(PROFILE).execute(Tuple.of(userId)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      LocalDate birth = r.getLocalDate("birth_date");
      OffsetDateTime created = r.getOffsetDateTime("created_at");
      UUID conv = r.getUUID("default_conversation_id");
      return Optional.of(new JsonObject().put("id", r.getUUID("id").toString())
          .put("username", r.getString("username")).put("email", r.getString("email"))
          .put("phone", r.getString("phone")).put("role", r.getString("role"))
          .put("full_name", r.getString("full_name")).put("gender", r.getString("gender"))
          .put("birth_date", birth == null ? null : birth.toString())
          .put("age", birth == null ? null : Period.between(birth, LocalDate.now(zone)).getYears())
          .put("interests", new JsonArray(List.of(r.getArrayOfStrings("interests"))))
          .put("source", r.getString("source")).put("is_active", r.getBoolean("is_active"))
          .put("registered_at", created.toInstant().toString())
          .put("default_conversation_id", conv == null ? null : conv.toString())
          .put("conversations", r.getLong("conversations")).put("booked_appointments", r.getLong("appointments"))
          .put("treatment_plans", r.getLong("plans")).put("customer_messages", r.getLong("customer_messages")));
    });
  }

  /**
   * Catalogue entries by id and/or category, ranked by how many of {@code words} they match (entries matching none
   * are left out when words are given), cheapest first among equals.
   */
  public Future<JsonArray> services(JsonArray words, String serviceId, String category, int limit) {
    List<String> ws = words.stream().map(w -> String.valueOf(w).toLowerCase()).filter(w -> !w.isBlank()).toList();
    return catalogue().map(all -> {
      // The score travels with its entry: a map keyed by the record would hash its whole JSON on every lookup.
      List<Scored> picked = new java.util.ArrayList<>();
      for (Service s : all) {
        if ((serviceId != null && !serviceId.equals(s.id())) || (category != null && !category.equals(s.category()))) {
          continue;
        }
        int score = ws.isEmpty() ? 0 : score(s, ws);
        if (!ws.isEmpty() && serviceId == null && score == 0) {
          continue;
        }
        picked.add(new Scored(s, score));
      }
      picked.sort((a, b) -> Integer.compare(b.score(), a.score())); // stable: price order among equals
      JsonArray out = new JsonArray();
      picked.stream().limit(limit).forEach(x -> out.add(x.service().json().copy()));
      return out;
    });
  }

  static JsonObject service(Row r) {
    return new JsonObject().put("id", r.getString("id")).put("name", r.getString("name"))
        .put("name_en", r.getString("name_en")).put("category", r.getString("category"))
        .put("description", r.getString("description"))
        .put("price_range", new JsonObject().put("min", r.getInteger("price_min")).put("max", r.getInteger("price_max"))
            .put("currency", "CNY"))
        .put("duration_minutes", r.getInteger("duration_minutes")).put("sessions", r.getString("sessions"))
        .put("recovery", r.getString("recovery"))
        .put("contraindications", new JsonArray(List.of(r.getArrayOfStrings("contraindications"))))
        .put("contraindication_notes", r.getString("contraindication_notes"));
  }

  public Future<JsonArray> faq(JsonArray words, int limit) {
    return pool.preparedQuery(FAQ).execute(Tuple.of(words.stream().map(String::valueOf).toArray(String[]::new), limit))
        .map(rows -> {
          JsonArray out = new JsonArray();
          for (Row r : rows) {
            if (r.getLong("score") > 0) {
              out.add(new JsonObject().put("id", r.getInteger("id")).put("category", r.getString("category"))
                  .put("question", r.getString("question")).put("answer", r.getString("answer")));
            }
          }
          return out;
        });
  }

  public Future<JsonArray> users(String role, UUID id, String search, int limit) {
    return pool.preparedQuery(USERS).execute(Tuple.of(role, id, search, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("id", r.getUUID("id").toString())
          .put("username", r.getString("username")).put("role", r.getString("role"))
          .put("full_name", r.getString("full_name")).put("is_active", r.getBoolean("is_active"))
          .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())));
      return out;
    });
  }

  /** Activates or deactivates a non-admin account (admins are managed through the admin API only). */
  public Future<Optional<JsonObject>> setActive(UUID id, boolean active) {
    return pool.preparedQuery(SET_ACTIVE).execute(Tuple.of(id, active)).map(rows -> rows.size() == 0
        ? Optional.empty()
        : Optional.of(rows.iterator().next().toJson().put("id", id.toString())));
  }

  public Future<JsonArray> settings(String key) {
    return pool.preparedQuery(SETTINGS).execute(Tuple.of(key)).map(ClinicStore::settingsJson);
  }

  public Future<JsonObject> putSetting(String key, Object value) {
    return pool.preparedQuery(PUT_SETTING).execute(Tuple.of(key, value))
        .map(rows -> settingsJson(rows).getJsonObject(0));
  }

  private static JsonArray settingsJson(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    rows.forEach(r -> out.add(new JsonObject().put("key", r.getString("key")).put("value", r.getValue("value"))
        .put("updated_at", r.getOffsetDateTime("updated_at").toInstant().toString())));
    return out;
  }

  /** The configuration as JSON; secrets (MCP keys, Dify API keys) are not part of it. */
  public Future<JsonObject> exportConfig() {
    return Future.all(pool.preparedQuery(SETTINGS).execute(Tuple.tuple().addString(null)), pool.query(EXPORT_GROUPS).execute(),
        pool.query(EXPORT_TOOLS).execute(), pool.query(EXPORT_DIFY).execute()).map(all -> {
          JsonObject out = new JsonObject().put("format", "anmeismart-config/1")
              .put("exported_at", OffsetDateTime.now(ZoneOffset.UTC).toInstant().toString());
          out.put("system_settings", settingsJson(all.resultAt(0)));
          out.put("mcp_groups", rowsJson(all.resultAt(1)));
          out.put("mcp_tools", rowsJson(all.resultAt(2)));
          out.put("dify_configs", rowsJson(all.resultAt(3)));
          return out;
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

  /** Applies settings and tool flags from an export, in one transaction; returns what was applied. */
  public Future<JsonObject> importConfig(JsonArray settings, JsonArray tools) {
    return pool.withTransaction(tx -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (Object o : settings) {
        JsonObject s = (JsonObject) o;
        chain = chain.compose(n -> tx.preparedQuery(PUT_SETTING).execute(Tuple.of(s.getString("key"),
            s.getValue("value"))).map(n + 1));
      }
      Future<Integer> settingsDone = chain;
      return settingsDone.compose(ns -> {
        Future<Integer> tchain = Future.succeededFuture(0);
        for (Object o : tools) {
          JsonObject t = (JsonObject) o;
          tchain = tchain.compose(n -> tx.preparedQuery(IMPORT_TOOL).execute(Tuple.of(t.getString("group_name"),
                  t.getString("tool_name"), t.getBoolean("enabled", true), t.getInteger("timeout_seconds", 30),
                  t.getString("description"), t.getJsonObject("config_data")))
              .map(rows -> n + rows.rowCount()));
        }
        return tchain.map(nt -> new JsonObject().put("settings_applied", ns).put("tools_applied", nt));
      });
    });
  }

  public Future<JsonObject> metrics() {
    return pool.query(METRICS).execute().map(rows -> {
      Row r = rows.iterator().next();
      Object jobs = r.getValue("jobs");
      return new JsonObject().put("customers", r.getLong("customers"))
          .put("registrations_last_24h", r.getLong("reg_1d")).put("registrations_last_7d", r.getLong("reg_7d"))
          .put("active_staff", r.getLong("active_staff"))
          .put("automation_jobs", jobs instanceof JsonObject o ? o : new JsonObject())
          .put("mcp_calls_last_24h", r.getLong("mcp_calls_1d")).put("mcp_errors_last_24h", r.getLong("mcp_errors_1d"))
          .put("appointments_booked", r.getLong("appointments_booked"))
          .put("conversations_open", r.getLong("conversations_open"));
    });
  }

  public Future<JsonArray> records(UUID patient, String type, int limit) {
    return pool.preparedQuery(RECORDS).execute(Tuple.of(patient, type, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("id", r.getUUID("id").toString())
          .put("record_type", r.getString("record_type")).put("title", r.getString("title"))
          .put("notes", r.getString("notes"))
          .put("conditions", new JsonArray(List.of(r.getArrayOfStrings("conditions"))))
          .put("doctor_name", r.getString("doctor_name"))
          .put("recorded_at", r.getOffsetDateTime("recorded_at").toInstant().toString())));
      return out;
    });
  }

  public Future<JsonArray> conversations(UUID customer, int limit) {
    return pool.preparedQuery(CONVERSATIONS).execute(Tuple.of(customer, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> {
        UUID consultant = r.getUUID("consultant_id");
        out.add(new JsonObject().put("id", r.getUUID("id").toString()).put("title", r.getString("title"))
            .put("status", r.getString("status")).put("is_default", r.getBoolean("is_default"))
            .put("consultant_id", consultant == null ? null : consultant.toString())
            .put("messages", r.getLong("messages")).put("last_message", r.getString("last_message"))
            .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString())
            .put("updated_at", r.getOffsetDateTime("updated_at").toInstant().toString()));
      });
      return out;
    });
  }

  /** The conversation (with its customer id) and its newest messages, oldest first; empty when unknown. */
  public Future<Optional<JsonObject>> conversation(UUID id, int limit) {
    return pool.preparedQuery(CONVERSATION).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.empty());
      }
      Row c = rows.iterator().next();
      return pool.preparedQuery(MESSAGES).execute(Tuple.of(id, limit)).map(ms -> {
        JsonArray messages = new JsonArray();
        ms.forEach(m -> messages.add(0, new JsonObject().put("id", m.getUUID("id").toString())
            .put("sender_type", m.getString("sender_type")).put("kind", m.getString("kind"))
            .put("content", m.getString("content"))
            .put("created_at", m.getOffsetDateTime("created_at").toInstant().toString())));
        UUID consultant = c.getUUID("consultant_id");
        return Optional.of(new JsonObject().put("id", id.toString())
            .put("customer_id", c.getUUID("customer_id").toString()).put("title", c.getString("title"))
            .put("status", c.getString("status"))
            .put("consultant_id", consultant == null ? null : consultant.toString())
            .put("created_at", c.getOffsetDateTime("created_at").toInstant().toString())
            .put("messages", messages));
      });
    });
  }

  public Future<JsonObject> savePlan(UUID customer, String title, JsonArray goals, JsonArray items, JsonArray excluded,
                                     int min, int max) {
    return pool.preparedQuery(INSERT_PLAN).execute(Tuple.of(customer, title,
            goals.stream().map(String::valueOf).toArray(String[]::new), items, excluded, min, max))
        .map(rows -> {
          Row r = rows.iterator().next();
          return new JsonObject().put("plan_id", r.getUUID("id").toString())
              .put("created_at", r.getOffsetDateTime("created_at").toInstant().toString());
        });
  }

  public Future<JsonArray> slots(LocalDate day) {
    return pool.preparedQuery(ENSURE_SLOTS).execute(Tuple.of(day, zone.getId()))
        .compose(v -> pool.preparedQuery(SLOTS).execute(Tuple.of(day, zone.getId()))).map(rows -> {
          JsonArray out = new JsonArray();
          rows.forEach(r -> out.add(new JsonObject().put("slot_id", r.getUUID("id").toString())
              .put("starts_at", r.getOffsetDateTime("starts_at").atZoneSameInstant(zone).toOffsetDateTime()
                  .toString())
              .put("room", r.getString("room")).put("available", !r.getBoolean("taken")
                  && r.getOffsetDateTime("starts_at").toInstant().isAfter(java.time.Instant.now()))));
          return out;
        });
  }

  /** Books a slot; a slot already taken fails with {@link ToolError} (the unique index decides, not a race). */
  public Future<JsonObject> book(UUID slot, UUID customer, String serviceId, String note) {
    return pool.preparedQuery(BOOK).execute(Tuple.of(slot, customer, serviceId, note)).map(rows -> {
      if (rows.size() == 0) {
        throw new ToolError("No such slot, or it is in the past");
      }
      Row r = rows.iterator().next();
      return new JsonObject().put("appointment_id", r.getUUID("id").toString())
          .put("slot_id", r.getUUID("slot_id").toString()).put("service_id", r.getString("service_id"))
          .put("status", r.getString("status"))
          .put("starts_at", r.getOffsetDateTime("starts_at").atZoneSameInstant(zone).toOffsetDateTime()
              .toString());
    }).recover(t -> {
      if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
        return Future.failedFuture(new ToolError("This slot is already booked; choose another one"));
      }
      if (t instanceof PgException pg && "23503".equals(pg.getSqlState())) {
        return Future.failedFuture(new ToolError("Unknown service_id or customer"));
      }
      return Future.failedFuture(t);
    });
  }

  /** Cancels a booked appointment (of {@code customer} when not null); false when there is none to cancel. */
  public Future<Boolean> cancel(UUID appointment, UUID customer) {
    return pool.preparedQuery(CANCEL).execute(Tuple.of(appointment, customer)).map(rows -> rows.rowCount() > 0);
  }

  public Future<JsonArray> appointments(UUID customer) {
    return pool.preparedQuery(APPOINTMENTS).execute(Tuple.of(customer)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("appointment_id", r.getUUID("id").toString())
          .put("service_id", r.getString("service_id")).put("service_name", r.getString("service_name"))
          .put("status", r.getString("status"))
          .put("starts_at", r.getOffsetDateTime("starts_at").atZoneSameInstant(zone).toOffsetDateTime()
              .toString())
          .put("room", r.getString("room"))));
      return out;
    });
  }
}
