package com.anmeismart.server.mcp.tools;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The output schemas of the tools that return records: what {@code structuredContent} holds (the same JSON as the
 * text content). Each top-level property becomes a workflow variable in Dify, so every one is described. They must
 * stay true to the handlers: a client validates {@code structuredContent} against them (the TypeScript SDK rejects a
 * result that doesn't match), and {@code McpIT} checks real results against each. A value that can be missing is
 * {@code ["string", "null"]} (Dify reads the non-null type); a property only some actions return is not required.
 */
final class OutputSchemas {

  private OutputSchemas() {
  }

  private static final String NOT_A_DIAGNOSIS = "Says that this is not a diagnosis";

  static JsonObject profile() {
    return object()
        .prop("id", str("The customer's id (UUID)")).prop("username", str("Login name"))
        .prop("role", str("customer, consultant, doctor, operator or admin"))
        .prop("full_name", strOrNull("Full name, if given")).prop("gender", strOrNull("male, female, other or unknown"))
        .prop("birth_date", strOrNull("YYYY-MM-DD, if given")).prop("age", intOrNull("Age in years, if known"))
        .prop("interests", strings("What the customer said they are interested in (e.g. 补水, 抗衰)"))
        .prop("source", strOrNull("Where the customer registered from (e.g. wechat)"))
        .prop("is_active", bool("The account is active"))
        .prop("registered_at", str("When the customer registered (ISO-8601)"))
        .prop("default_conversation_id", strOrNull("Their conversation with the AI assistant, once it exists"))
        .prop("conversations", integer("Number of conversations"))
        .prop("booked_appointments", integer("Appointments booked and not cancelled"))
        .prop("treatment_plans", integer("Treatment plans drafted for them"))
        .prop("customer_messages", integer("Messages the customer has written"))
        .prop("is_new_user", bool("Registered less than 24 hours ago"))
        .prop("days_since_registration", integer("Whole days since registration"))
        .prop("matching_services", list("Up to three catalogue services matching the interests", object()
            .prop("id", str("Catalogue id")).prop("name", str("Service name"))
            .prop("category", str("Catalogue category")).prop("price_range", priceRange())
            .required("id", "name", "category", "price_range").build()))
        .prop("email", strOrNull("E-mail (only with include_details)"))
        .prop("phone", strOrNull("Phone (only with include_details)"))
        .required("id", "username", "role", "full_name", "interests", "registered_at", "is_new_user",
            "days_since_registration", "matching_services")
        .build();
  }

  static JsonObject customerAnalysis() {
    return object()
        .prop("user_id", str("The customer's id")).prop("analysis_type", str("basic, detailed or predictive"))
        .prop("customer_segment", str("anti_aging, acne_repair, contouring, young_skin_care or skin_care"))
        .prop("lifecycle_stage", str("new, onboarding, active or dormant"))
        .prop("engagement_level", str("low, medium or high"))
        .prop("recommendations", list("Services for their interests, each marked suitable or not", object()
            .prop("id", str("Catalogue id")).prop("name", str("Service name"))
            .prop("suitable", bool("No contraindication on file rules it out"))
            .required("id", "name", "suitable").build()))
        .prop("risk_profile", object().prop("conditions", conditions("Conditions on file"))
            .prop("level", str("low, medium or high")).required("conditions", "level")
            .describe("detailed and predictive: conditions from the medical records").build())
        .prop("budget_band", str("detailed and predictive: the likely budget"))
        .prop("churn_probability", number("predictive: 0.05–0.95"))
        .prop("next_best_action", str("predictive: what the consultant should do next"))
        .prop("optimal_contact_time", str("predictive: when to contact them"))
        .required("user_id", "analysis_type", "customer_segment", "lifecycle_stage", "engagement_level",
            "recommendations")
        .build();
  }

  static JsonObject consultationHistory() {
    return object()
        .prop("customer_id", str("The customer's id"))
        .prop("conversations", list("Newest first", object()
            .prop("id", str("Conversation id")).prop("title", str("Title"))
            .prop("status", str("open, claimed or closed")).prop("is_default", bool("The AI assistant conversation"))
            .prop("consultant_id", strOrNull("The consultant who claimed it"))
            .prop("messages", integer("Number of messages")).prop("last_message", strOrNull("The newest message"))
            .prop("created_at", str("ISO-8601")).prop("updated_at", str("ISO-8601"))
            .required("id", "title", "status", "is_default", "messages", "created_at").build()))
        .required("customer_id", "conversations").build();
  }

  static JsonObject conversation() {
    return object()
        .prop("id", str("Conversation id")).prop("customer_id", str("The customer's id"))
        .prop("title", str("Title")).prop("status", str("open, claimed or closed"))
        .prop("consultant_id", strOrNull("The consultant who claimed it")).prop("created_at", str("ISO-8601"))
        .prop("messages", list("The newest messages, oldest first", object()
            .prop("id", str("Message id")).prop("sender_type", str("customer, consultant, ai or system"))
            .prop("kind", str("text, welcome or system")).prop("content", str("The text"))
            .prop("created_at", str("ISO-8601")).required("id", "sender_type", "content", "created_at").build()))
        .required("id", "customer_id", "status", "messages").build();
  }

  static JsonObject serviceInfo() {
    return object().prop("count", integer("Number of entries returned"))
        .prop("services", list("Catalogue entries", service())).required("count", "services").build();
  }

  static JsonObject basicInquiry() {
    return object().prop("question", str("The question as asked"))
        .prop("faq", list("Matching FAQ entries", object().prop("id", integer("FAQ id"))
            .prop("category", str("Category")).prop("question", str("Question")).prop("answer", str("Answer"))
            .required("question", "answer").build()))
        .prop("services", list("Matching catalogue entries", service()))
        .prop("answered", bool("Something matched"))
        .prop("hint", strOrNull("What to do when nothing matched"))
        .required("question", "faq", "services", "answered").build();
  }

  /** One object for the four actions (Dify flattens unions): each answer fills its own properties. */
  static JsonObject appointments() {
    return object()
        .prop("date", str("slots: the day"))
        .prop("slots", list("slots: the day's slots", object().prop("slot_id", str("Slot id (for book)"))
            .prop("starts_at", str("Start, clinic time (ISO-8601)")).prop("room", str("Room"))
            .prop("available", bool("Free and in the future")).required("slot_id", "starts_at", "available").build()))
        .prop("available", integer("slots: how many are free"))
        .prop("appointment_id", str("book, cancel: the appointment"))
        .prop("slot_id", str("book: the slot")).prop("service_id", str("book: the service"))
        .prop("status", str("book, cancel: booked or cancelled"))
        .prop("starts_at", str("book: start, clinic time (ISO-8601)"))
        .prop("customer_id", str("list: the customer"))
        .prop("appointments", list("list: the customer's appointments, newest first", object()
            .prop("appointment_id", str("Appointment id")).prop("service_id", str("Service id"))
            .prop("service_name", str("Service name")).prop("status", str("booked or cancelled"))
            .prop("starts_at", str("Start, clinic time (ISO-8601)")).prop("room", str("Room"))
            .required("appointment_id", "service_id", "status", "starts_at").build()))
        .build();
  }

  static JsonObject diagnosisAssist() {
    return object().prop("concern", str("The concern as given"))
        .prop("patient_id", strOrNull("The patient checked, if any"))
        .prop("checked_against_records", bool("Contraindications were checked against medical records"))
        .prop("suggestions", list("Catalogue services for the concern", object()
            .prop("service_id", str("Catalogue id")).prop("name", str("Service name"))
            .prop("category", str("Category")).prop("price_range", priceRange())
            .prop("suitable", bool("Nothing on file rules it out"))
            .prop("contraindicated_by", conditions("Conditions on file that rule it out"))
            .prop("contraindication_notes", str("The catalogue's contraindication notes"))
            .required("service_id", "name", "suitable", "contraindicated_by").build()))
        .prop("disclaimer", str(NOT_A_DIAGNOSIS))
        .required("concern", "checked_against_records", "suggestions", "disclaimer").build();
  }

  static JsonObject planGeneration() {
    return object()
        .prop("plan_id", str("The saved draft plan")).prop("created_at", str("ISO-8601"))
        .prop("customer_id", str("The customer")).prop("title", str("Plan title")).prop("status", str("draft"))
        .prop("items", list("Up to three steps", object().prop("step", integer("1, 2, 3"))
            .prop("service_id", str("Catalogue id")).prop("name", str("Service name"))
            .prop("sessions", str("Sessions")).prop("price_range", priceRange()).prop("recovery", str("Recovery"))
            .required("step", "service_id", "name", "price_range").build()))
        .prop("excluded", list("Services left out and why", object().prop("service_id", str("Catalogue id"))
            .prop("name", str("Service name"))
            .prop("reason", new JsonObject().put("type", new JsonArray().add("array").add("string"))
                .put("items", condition()).put("description", "The conditions that rule it out, or \"over budget\""))
            .required("service_id", "name", "reason").build()))
        .prop("total_price_range", priceRange()).prop("disclaimer", str(NOT_A_DIAGNOSIS))
        .required("plan_id", "customer_id", "title", "status", "items", "excluded", "total_price_range").build();
  }

  static JsonObject medicalRecords() {
    return object().prop("patient_id", str("The patient"))
        .prop("records", list("Newest first", object().prop("id", str("Record id"))
            .prop("record_type", str("consultation, treatment, allergy, condition or medication"))
            .prop("title", str("Title")).prop("notes", strOrNull("Notes"))
            .prop("conditions", strings("Condition codes")).prop("doctor_name", strOrNull("Doctor"))
            .prop("recorded_at", str("ISO-8601")).required("id", "record_type", "title", "conditions", "recorded_at")
            .build()))
        .required("patient_id", "records").build();
  }

  static JsonObject patientAnalysis() {
    return object().prop("patient_id", str("The patient")).prop("full_name", strOrNull("Full name"))
        .prop("gender", strOrNull("Gender")).prop("age", intOrNull("Age in years"))
        .prop("records", integer("Number of medical records"))
        .prop("treatments", list("Treatments so far", object().prop("title", str("Treatment"))
            .prop("recorded_at", str("ISO-8601")).required("title", "recorded_at").build()))
        .prop("conditions", conditions("Conditions on file")).prop("risk_level", str("low, medium or high"))
        .prop("services_ruled_out", list("Catalogue services the conditions rule out", object()
            .prop("service_id", str("Catalogue id")).prop("name", str("Service name"))
            .prop("because", conditions("The conditions")).required("service_id", "name", "because").build()))
        .prop("disclaimer", str(NOT_A_DIAGNOSIS))
        .required("patient_id", "records", "treatments", "conditions", "risk_level", "services_ruled_out").build();
  }

  private static JsonObject service() {
    return object().prop("id", str("Catalogue id")).prop("name", str("Name (Chinese)"))
        .prop("name_en", str("Name (English)")).prop("category", str("skin_care, laser, injection, anti_aging or "
            + "surgery"))
        .prop("description", str("Description")).prop("price_range", priceRange())
        .prop("duration_minutes", integer("Duration of one session")).prop("sessions", str("Sessions"))
        .prop("recovery", str("Recovery")).prop("contraindications", strings("Condition codes that rule it out"))
        .prop("contraindication_notes", str("Contraindication notes"))
        .required("id", "name", "category", "price_range").build();
  }

  private static JsonObject priceRange() {
    return object().prop("min", integer("From (CNY)")).prop("max", integer("To (CNY)")).prop("currency", str("CNY"))
        .required("min", "max", "currency").describe("Price range").build();
  }

  private static JsonObject conditions(String description) {
    return list(description, condition());
  }

  private static JsonObject condition() {
    return object().prop("code", str("Condition code")).prop("label", str("Label")).required("code", "label")
        .build();
  }

  private static JsonObject str(String description) {
    return new JsonObject().put("type", "string").put("description", description);
  }

  private static JsonObject strOrNull(String description) {
    return new JsonObject().put("type", new JsonArray().add("string").add("null")).put("description", description);
  }

  private static JsonObject integer(String description) {
    return new JsonObject().put("type", "integer").put("description", description);
  }

  private static JsonObject intOrNull(String description) {
    return new JsonObject().put("type", new JsonArray().add("integer").add("null")).put("description", description);
  }

  private static JsonObject number(String description) {
    return new JsonObject().put("type", "number").put("description", description);
  }

  private static JsonObject bool(String description) {
    return new JsonObject().put("type", "boolean").put("description", description);
  }

  private static JsonObject strings(String description) {
    return list(description, new JsonObject().put("type", "string"));
  }

  private static JsonObject list(String description, JsonObject items) {
    return new JsonObject().put("type", "array").put("description", description).put("items", items);
  }

  private static Obj object() {
    return new Obj();
  }

  /** An object schema under construction. */
  private static final class Obj {
    private final JsonObject properties = new JsonObject();
    private final JsonArray required = new JsonArray();
    private String description;

    Obj prop(String name, Object schema) {
      properties.put(name, schema instanceof Obj o ? o.build() : schema);
      return this;
    }

    Obj required(String... names) {
      for (String n : names) {
        required.add(n);
      }
      return this;
    }

    Obj describe(String d) {
      description = d;
      return this;
    }

    JsonObject build() {
      JsonObject o = new JsonObject().put("type", "object");
      if (description != null) {
        o.put("description", description);
      }
      o.put("properties", properties);
      if (!required.isEmpty()) {
        o.put("required", required);
      }
      return o;
    }
  }
}
