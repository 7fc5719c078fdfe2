package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;

/**
 * The clinic's own data, all SQL on it: the service catalogue, the FAQ, appointment slots and appointments, medical
 * records, treatment plans. (The tools read and change other contexts' data through those contexts' stores.)
 */
public final class ClinicStore {


  private static final String SERVICE_COLUMNS = "id, name, name_en, category, description, price_min, price_max, "
      + "duration_minutes, sessions, recovery, keywords, contraindications, contraindication_notes";
  /** Every entry, active or not, with what the welcome guard compares a welcome with. */
  private static final String ALL_SERVICES = "SELECT id, name, keywords, active, price_min, price_max, duration_minutes "
      + "FROM service_catalogue ORDER BY id";
  private static final String CATALOGUE = "SELECT " + SERVICE_COLUMNS + " FROM service_catalogue WHERE active "
      + "ORDER BY price_min";
  /** The catalogue is small and changes rarely: kept in memory for this long, so lookups cost no query. */
  private static final long CATALOGUE_TTL_MS = 30_000;
  private static final String FAQ = "SELECT id, category, question, answer, (SELECT count(*) FROM unnest($1::text[]) w "
      + "WHERE question ILIKE '%' || w || '%' OR answer ILIKE '%' || w || '%' "
      + "OR EXISTS (SELECT 1 FROM unnest(keywords) k WHERE k ILIKE '%' || w || '%' OR w ILIKE '%' || k || '%')) AS score "
      + "FROM faq ORDER BY score DESC, id LIMIT $2";
  private static final String RECORDS = "SELECT id, record_type, title, notes, conditions, doctor_name, recorded_at "
      + "FROM medical_records WHERE patient_id = $1 AND ($2::text IS NULL OR record_type = $2) "
      + "ORDER BY recorded_at DESC LIMIT $3";
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
  private static final String CUSTOMER_FIGURES = "SELECT "
      + "(SELECT count(*) FROM appointments a WHERE a.customer_id = $1 AND a.status = 'booked') AS appointments, "
      + "(SELECT count(*) FROM treatment_plans p WHERE p.customer_id = $1) AS plans";
  private static final String BOOKED = "SELECT count(*) AS n FROM appointments WHERE status = 'booked'";
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

  /**
   * The whole catalogue, active or not ({@code id, name, keywords, active, price_min, price_max, duration_minutes}):
   * the welcome guard checks that a welcome names only active services at their prices (dify/WelcomeGuard).
   */
  public Future<JsonArray> allServices() {
    return pool.query(ALL_SERVICES).execute().map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject().put("id", r.getString("id")).put("name", r.getString("name"))
            .put("keywords", new JsonArray(List.of(r.getArrayOfStrings("keywords")))).put("active", r.getBoolean("active"))
            .put("price_min", r.getInteger("price_min")).put("price_max", r.getInteger("price_max"))
            .put("duration_minutes", r.getInteger("duration_minutes")));
      }
      return out;
    });
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

  /** The active services as {@code [{id, name, category}]}, cheapest first (the registration form's interests). */
  public Future<JsonArray> serviceNames() {
    return catalogue().map(all -> {
      JsonArray out = new JsonArray();
      for (Service s : all) {
        out.add(new JsonObject().put("id", s.id()).put("name", s.json().getString("name"))
            .put("category", s.category()));
      }
      return out;
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

  /** {@code {booked_appointments, treatment_plans}} of one customer. */
  public Future<JsonObject> customerFigures(UUID customer) {
    return pool.preparedQuery(CUSTOMER_FIGURES).execute(Tuple.of(customer)).map(rows -> {
      Row r = rows.iterator().next();
      return new JsonObject().put("booked_appointments", r.getLong("appointments"))
          .put("treatment_plans", r.getLong("plans"));
    });
  }

  /** Appointments booked now, all customers. */
  public Future<Long> bookedAppointments() {
    return pool.query(BOOKED).execute().map(rows -> rows.iterator().next().getLong("n"));
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
