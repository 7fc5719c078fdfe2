package com.anmeismart.server.mcp.tools;

import com.anmeismart.server.chat.ConversationStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Tools about one customer: get_user_profile, customer_analysis, consultation_history, get_conversation_data. */
final class ProfileTools {

  private static final Set<String> ANTI_AGING = Set.of("抗衰", "除皱", "紧致", "提拉", "松弛", "热玛吉", "超声刀");
  private static final Set<String> ACNE = Set.of("祛痘", "痘坑", "痘印", "闭口");
  private static final Set<String> CONTOUR = Set.of("瘦脸", "脸型", "轮廓", "隆鼻", "下巴", "双眼皮");

  private final ClinicStore store;
  private final CustomerProfiles profiles;
  private final ConversationStore conversations;

  ProfileTools(ClinicStore store, CustomerProfiles profiles, ConversationStore conversations) {
    this.store = store;
    this.profiles = profiles;
    this.conversations = conversations;
  }

  List<ToolDef> defs() {
    return List.of(
        new ToolDef("get_user_profile", "Customer profile",
            "Returns one customer's profile for personalised answers: id, username, full_name, gender, age and "
                + "birth_date, interests, source, registered_at, whether they are new, their default conversation, "
                + "counts of conversations/appointments/plans, and catalogue services matching their interests. "
                + "With a context token, user_id may be left out and only that customer can be read.",
            Schema.object().string("user_id", "The customer's id (UUID); optional with a context token")
                .bool("include_details", "Also return email and phone (default false)").build(true),
            true, this::profile).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.profile()),
        new ToolDef("customer_analysis", "Customer analysis",
            "Rule-based, deterministic analysis of a customer: segment, lifecycle stage, engagement level and "
                + "recommended services (basic); plus risk profile from medical records and budget band (detailed); "
                + "plus next best action, contact time and churn risk (predictive).",
            Schema.object().string("user_id", "The customer's id (UUID); optional with a context token")
                .oneOf("analysis_type", "basic (default), detailed or predictive", "basic", "detailed", "predictive")
                .build(true),
            true, this::analysis).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.customerAnalysis()),
        new ToolDef("consultation_history", "Consultation history",
            "A customer's conversations, newest first, with message counts and the last message.",
            Schema.object().string("customer_id", "The customer's id (UUID); optional with a context token")
                .integer("limit", "At most this many conversations (default 10)", 1, 50).build(true),
            true, call -> conversations.customerConversations(call.user("customer_id"), call.integer("limit", 10))
                .map(list -> new JsonObject().put("customer_id", call.user("customer_id").toString())
                    .put("conversations", list)))
            .hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.consultationHistory()),
        new ToolDef("get_conversation_data", "Conversation messages",
            "The newest messages of one conversation (oldest first), with its status and consultant.",
            Schema.object().string("conversation_id", "The conversation's id (UUID)")
                .integer("limit", "At most this many messages (default 50)", 1, 200).required("conversation_id")
                .build(true),
            true, this::conversation).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.conversation()));
  }

  private Future<Object> profile(ToolCall call) {
    UUID id = call.user("user_id");
    boolean details = call.bool("include_details", false);
    return profiles.profile(id).compose(found -> {
      JsonObject p = found.orElseThrow(() -> new ToolError("No user with id " + id));
      if (!details) {
        p.remove("email");
        p.remove("phone");
      }
      Instant registered = Instant.parse(p.getString("registered_at"));
      long hours = Duration.between(registered, Instant.now()).toHours();
      p.put("is_new_user", hours < 24).put("days_since_registration", hours / 24);
      JsonArray interests = p.getJsonArray("interests");
      Future<JsonArray> matches = interests.isEmpty() ? Future.succeededFuture(new JsonArray())
          : store.services(interests, null, null, 3);
      return matches.map(services -> {
        JsonArray brief = new JsonArray();
        services.forEach(o -> {
          JsonObject s = (JsonObject) o;
          brief.add(new JsonObject().put("id", s.getString("id")).put("name", s.getString("name"))
              .put("category", s.getString("category")).put("price_range", s.getJsonObject("price_range")));
        });
        return p.put("matching_services", brief);
      });
    });
  }

  private Future<Object> analysis(ToolCall call) {
    UUID id = call.user("user_id");
    String type = call.string("analysis_type") == null ? "basic" : call.string("analysis_type");
    return profiles.profile(id).compose(found -> {
      JsonObject p = found.orElseThrow(() -> new ToolError("No user with id " + id));
      JsonArray interests = p.getJsonArray("interests");
      Integer age = p.getInteger("age");
      long days = Duration.between(Instant.parse(p.getString("registered_at")), Instant.now()).toDays();
      long messages = p.getLong("customer_messages");
      long appointments = p.getLong("booked_appointments");
      JsonObject out = new JsonObject().put("user_id", id.toString()).put("analysis_type", type)
          .put("customer_segment", segment(interests, age))
          .put("lifecycle_stage", days < 1 ? "new" : days < 30 ? "onboarding" : appointments > 0 ? "active" : "dormant")
          .put("engagement_level", messages >= 10 || appointments > 1 ? "high" : messages >= 3 || appointments > 0
              ? "medium" : "low");
      Future<JsonArray> services = interests.isEmpty() ? Future.succeededFuture(new JsonArray())
          : store.services(interests, null, null, 3);
      Future<JsonArray> records = type.equals("basic") ? Future.succeededFuture(new JsonArray())
          : store.records(id, null, 100);
      return Future.all(services, records).map(all -> {
        JsonArray recommended = new JsonArray();
        Set<String> conditions = Conditions.of(records.result(), age);
        for (Object o : services.result()) {
          JsonObject s = (JsonObject) o;
          recommended.add(new JsonObject().put("id", s.getString("id")).put("name", s.getString("name"))
              .put("suitable", Conditions.conflicts(s, conditions).isEmpty()));
        }
        out.put("recommendations", recommended);
        if (!type.equals("basic")) {
          JsonArray flags = new JsonArray();
          conditions.forEach(c -> flags.add(new JsonObject().put("code", c).put("label", Conditions.label(c))));
          out.put("risk_profile", new JsonObject().put("conditions", flags)
              .put("level", conditions.isEmpty() ? "low" : conditions.size() < 2 ? "medium" : "high"));
          out.put("budget_band", interests.stream().anyMatch(ANTI_AGING::contains) ? "premium (¥10,000+)"
              : interests.stream().anyMatch(CONTOUR::contains) ? "mid (¥3,000–10,000)" : "entry (¥500–3,000)");
        }
        if (type.equals("predictive")) {
          double churn = Math.min(0.95, Math.max(0.05, 0.6 - 0.05 * messages - 0.2 * appointments
              + (days > 90 && appointments == 0 ? 0.25 : 0)));
          out.put("churn_probability", Math.round(churn * 100) / 100.0)
              .put("next_best_action", appointments > 0 ? "follow up after the appointment"
                  : messages == 0 ? "send a personalised welcome and a first-visit offer"
                  : "invite to a free face-to-face consultation")
              .put("optimal_contact_time", age != null && age < 30 ? "19:00–21:30" : "12:00–13:30 or 18:00–20:00");
        }
        return out;
      });
    });
  }

  private static String segment(JsonArray interests, Integer age) {
    if (interests.stream().anyMatch(ANTI_AGING::contains) || (age != null && age >= 40)) {
      return "anti_aging";
    }
    if (interests.stream().anyMatch(ACNE::contains)) {
      return "acne_repair";
    }
    if (interests.stream().anyMatch(CONTOUR::contains)) {
      return "contouring";
    }
    return age != null && age < 30 ? "young_skin_care" : "skin_care";
  }

  private Future<Object> conversation(ToolCall call) {
    UUID id = call.uuid("conversation_id");
    return conversations.withLatestMessages(id, call.integer("limit", 50)).map(found -> {
      // With a context token, another customer's conversation is "not found": nothing about it leaks.
      JsonObject c = found.filter(conv -> call.scopeUser() == null
              || conv.getString("customer_id").equals(call.scopeUser().toString()))
          .orElseThrow(() -> new ToolError("No conversation with id " + id));
      return c;
    });
  }
}
