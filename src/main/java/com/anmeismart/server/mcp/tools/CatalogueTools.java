package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Tools on the service catalogue: service_info, basic_inquiry, appointment_booking, diagnosis_assist, plan_generation. */
final class CatalogueTools {

  private static final String NOT_A_DIAGNOSIS = "仅供参考，不构成医疗诊断；最终方案须由执业医师面诊后确定。"
      + " (For reference only, not a diagnosis: a licensed doctor decides after a face-to-face consultation.)";

  private final ClinicStore store;
  private final CustomerProfiles profiles;

  CatalogueTools(ClinicStore store, CustomerProfiles profiles) {
    this.store = store;
    this.profiles = profiles;
  }

  List<ToolDef> defs() {
    return List.of(
        new ToolDef("service_info", "Service information",
            "Looks up the clinic's service catalogue by id, keyword or interest (e.g. 补水, 光子嫩肤, 抗衰) and/or "
                + "category. Each entry has name, category, price range (CNY), duration, sessions, recovery, "
                + "description and contraindications. Without any filter, lists the whole catalogue.",
            Schema.object().string("service_id", "A catalogue id, e.g. water_light_injection")
                .string("keyword", "Words to search for, comma separated (name, keyword, description)", 200)
                .string("interest", "A customer interest, e.g. 补水; same as keyword", 200)
                .oneOf("category", "Only this category", "skin_care", "laser", "injection", "anti_aging", "surgery")
                .integer("limit", "At most this many entries (default 5)", 1, 50).build(true),
            // declares context_token though it reads no customer: the welcome group requires a token on every call,
            // and an agent (Dify) passes only the arguments a tool declares
            true, this::serviceInfo).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.serviceInfo()),
        new ToolDef("basic_inquiry", "Basic inquiry",
            "Answers a customer's general question from the clinic FAQ (opening hours, payment, booking, safety, "
                + "after-care) and the service catalogue.",
            Schema.object().string("question", "The customer's question, in their words", 500).required("question")
                .build(true),
            true, this::inquiry).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.basicInquiry()),
        new ToolDef("appointment_booking", "Appointments",
            "Appointments: action 'slots' lists a day's free slots (date YYYY-MM-DD, clinic time), 'book' books a "
                + "slot for a service, 'cancel' cancels an appointment, 'list' lists a customer's appointments. A "
                + "slot can't be booked twice.",
            Schema.object().oneOf("action", "slots, book, cancel or list", "slots", "book", "cancel", "list")
                .string("date", "For slots: the day, YYYY-MM-DD").string("slot_id", "For book: the slot (UUID)")
                .string("service_id", "For book: the catalogue id of the service")
                .string("appointment_id", "For cancel: the appointment (UUID)")
                .string("customer_id", "For book/cancel/list: the customer (UUID); optional with a context token")
                .string("note", "For book: a note for the clinic", 500).required("action").build(true),
            // cancel changes a booking (destructive); the same booking or cancellation again changes nothing more
            true, this::appointments).hints(ToolDef.Hints.OVERWRITES).output(OutputSchemas.appointments()),
        new ToolDef("diagnosis_assist", "Diagnosis assistance",
            "Suggests catalogue services for a concern (e.g. 色斑, 痘坑, 松弛) and, given a patient, checks each "
                + "against the contraindications in their medical records. Not a diagnosis.",
            Schema.object().string("concern", "The concern or goal, in words", 500)
                .string("patient_id", "The patient (UUID), to check contraindications; optional")
                .required("concern").build(true),
            true, this::diagnosis).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.diagnosisAssist()),
        new ToolDef("plan_generation", "Treatment plan",
            "Drafts a treatment plan for a customer from the catalogue: services for their goals (or interests), "
                + "excluding those their medical records rule out, within an optional budget; saved as a draft "
                + "for the consultant.",
            Schema.object().string("customer_id", "The customer (UUID); optional with a context token")
                .string("goals", "Goals, comma separated; default: the customer's interests", 500)
                .integer("budget_max", "Upper budget in CNY (optional)", 0, 10_000_000).build(true),
            // every call saves a new draft plan: additive, and not idempotent
            true, this::plan).hints(ToolDef.Hints.ADDITIVE).output(OutputSchemas.planGeneration()));
  }

  private Future<Object> serviceInfo(ToolCall call) {
    JsonArray words = call.words("keyword");
    call.words("interest").forEach(words::add);
    return store.services(words, call.string("service_id"), call.string("category"), call.integer("limit", 5))
        .map(list -> {
          if (list.isEmpty() && call.string("service_id") != null) {
            throw new ToolError("No service with id " + call.string("service_id"));
          }
          return new JsonObject().put("count", list.size()).put("services", list);
        });
  }

  private Future<Object> inquiry(ToolCall call) {
    JsonArray words = words(call.requiredString("question"));
    return Future.all(store.faq(words, 3), store.services(words, null, null, 3)).map(all -> {
      JsonArray faq = all.resultAt(0);
      JsonArray services = all.resultAt(1);
      return new JsonObject().put("question", call.string("question")).put("faq", faq).put("services", services)
          .put("answered", !faq.isEmpty() || !services.isEmpty())
          .put("hint", faq.isEmpty() && services.isEmpty() ? "No match: hand the question to a consultant" : null);
    });
  }

  /** Splits a question into search words: separators, and Chinese runs into 2-character words. */
  static JsonArray words(String text) {
    JsonArray out = new JsonArray();
    for (String part : text.split("[\\s,，。.!！?？、;；:：]+")) {
      if (part.isBlank()) {
        continue;
      }
      if (part.codePoints().allMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN)
          && part.length() > 2) {
        for (int i = 0; i + 2 <= part.length(); i++) {
          out.add(part.substring(i, i + 2));
        }
      } else {
        out.add(part);
      }
    }
    return out;
  }

  private Future<Object> appointments(ToolCall call) {
    String action = call.requiredString("action");
    switch (action) {
      case "slots" -> {
        LocalDate day = date(call.requiredString("date"));
        return store.slots(day).map(slots -> new JsonObject().put("date", day.toString())
            .put("slots", slots).put("available", slots.stream().filter(o -> ((JsonObject) o)
                .getBoolean("available")).count()));
      }
      case "book" -> {
        UUID customer = call.user("customer_id");
        return store.book(call.uuid("slot_id"), customer, call.requiredString("service_id"), call.string("note"))
            .map(o -> (Object) o);
      }
      case "cancel" -> {
        UUID appointment = call.uuid("appointment_id");
        UUID customer = call.scopeUser() != null || call.string("customer_id") != null
            ? call.user("customer_id") : null;
        return store.cancel(appointment, customer).map(done -> {
          if (!done) {
            throw new ToolError("No booked appointment " + appointment + (customer == null ? "" : " of this customer"));
          }
          return new JsonObject().put("appointment_id", appointment.toString()).put("status", "cancelled");
        });
      }
      case "list" -> {
        UUID customer = call.user("customer_id");
        return store.appointments(customer).map(list -> new JsonObject().put("customer_id", customer.toString())
            .put("appointments", list));
      }
      default -> throw new ToolError("action must be slots, book, cancel or list");
    }
  }

  private LocalDate date(String s) {
    try {
      LocalDate d = LocalDate.parse(s);
      LocalDate today = LocalDate.now(store.zone());
      if (d.isBefore(today) || d.isAfter(today.plusDays(90))) {
        throw new ToolError("date must be between today and 90 days ahead");
      }
      return d;
    } catch (DateTimeParseException e) {
      throw new ToolError("date must be YYYY-MM-DD");
    }
  }

  /** The patient's conditions (empty without a patient). */
  private Future<Set<String>> conditions(UUID patient) {
    if (patient == null) {
      return Future.succeededFuture(Set.of());
    }
    return Future.all(profiles.profile(patient), store.records(patient, null, 200)).map(all -> {
      JsonObject p = all.<java.util.Optional<JsonObject>>resultAt(0)
          .orElseThrow(() -> new ToolError("No patient with id " + patient));
      return Conditions.of(all.resultAt(1), p.getInteger("age"));
    });
  }

  private Future<Object> diagnosis(ToolCall call) {
    UUID patient = call.scopeUser() != null || call.string("patient_id") != null ? call.user("patient_id") : null;
    JsonArray words = words(call.requiredString("concern"));
    return Future.all(conditions(patient), store.services(words, null, null, 5)).map(all -> {
      Set<String> conditions = all.resultAt(0);
      JsonArray suggestions = new JsonArray();
      for (Object o : all.<JsonArray>resultAt(1)) {
        JsonObject s = (JsonObject) o;
        JsonArray conflicts = Conditions.conflicts(s, conditions);
        suggestions.add(new JsonObject().put("service_id", s.getString("id")).put("name", s.getString("name"))
            .put("category", s.getString("category")).put("price_range", s.getJsonObject("price_range"))
            .put("suitable", conflicts.isEmpty()).put("contraindicated_by", conflicts)
            .put("contraindication_notes", s.getString("contraindication_notes")));
      }
      return new JsonObject().put("concern", call.string("concern"))
          .put("patient_id", patient == null ? null : patient.toString())
          .put("checked_against_records", patient != null).put("suggestions", suggestions)
          .put("disclaimer", NOT_A_DIAGNOSIS);
    });
  }

  private Future<Object> plan(ToolCall call) {
    UUID customer = call.user("customer_id");
    Integer budget = call.args().getInteger("budget_max");
    return Future.all(profiles.profile(customer), conditions(customer)).compose(all -> {
      JsonObject p = all.<java.util.Optional<JsonObject>>resultAt(0)
          .orElseThrow(() -> new ToolError("No customer with id " + customer));
      JsonArray goals = call.words("goals").isEmpty() ? p.getJsonArray("interests") : call.words("goals");
      if (goals.isEmpty()) {
        throw new ToolError("No goals given and the customer has no interests on file");
      }
      Set<String> conditions = all.resultAt(1);
      return store.services(goals, null, null, 6).compose(services -> {
        JsonArray items = new JsonArray();
        JsonArray excluded = new JsonArray();
        int min = 0;
        int max = 0;
        for (Object o : services) {
          JsonObject s = (JsonObject) o;
          JsonArray conflicts = Conditions.conflicts(s, conditions);
          int price = s.getJsonObject("price_range").getInteger("min");
          if (!conflicts.isEmpty()) {
            excluded.add(new JsonObject().put("service_id", s.getString("id")).put("name", s.getString("name"))
                .put("reason", conflicts));
          } else if (budget != null && min + price > budget) {
            excluded.add(new JsonObject().put("service_id", s.getString("id")).put("name", s.getString("name"))
                .put("reason", "over budget"));
          } else if (items.size() < 3) {
            items.add(new JsonObject().put("step", items.size() + 1).put("service_id", s.getString("id"))
                .put("name", s.getString("name")).put("sessions", s.getString("sessions"))
                .put("price_range", s.getJsonObject("price_range")).put("recovery", s.getString("recovery")));
            min += price;
            max += s.getJsonObject("price_range").getInteger("max");
          }
        }
        if (items.isEmpty()) {
          throw new ToolError("No suitable service for these goals; refer the customer to a doctor");
        }
        String title = (p.getString("full_name") == null ? p.getString("username") : p.getString("full_name"))
            + " · " + String.join("/", goals.stream().map(String::valueOf).toList());
        int fmin = min;
        int fmax = max;
        return store.savePlan(customer, title, goals, items, excluded, min, max).map(saved -> (Object) saved
            .put("customer_id", customer.toString()).put("title", title).put("status", "draft").put("items", items)
            .put("excluded", excluded).put("total_price_range", new JsonObject().put("min", fmin).put("max", fmax)
                .put("currency", "CNY"))
            .put("disclaimer", NOT_A_DIAGNOSIS));
      });
    });
  }
}
