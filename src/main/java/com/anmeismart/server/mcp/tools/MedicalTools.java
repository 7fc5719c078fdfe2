package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Medical tools: patient_analysis, medical_records (diagnosis_assist lives with the catalogue). */
final class MedicalTools {

  private final ClinicStore store;
  private final CustomerProfiles profiles;

  MedicalTools(ClinicStore store, CustomerProfiles profiles) {
    this.store = store;
    this.profiles = profiles;
  }

  List<ToolDef> defs() {
    return List.of(
        new ToolDef("medical_records", "Medical records",
            "A patient's medical records, newest first: consultations, treatments, allergies, conditions, "
                + "medication, each with its condition codes.",
            Schema.object().string("patient_id", "The patient (UUID); optional with a context token")
                .oneOf("record_type", "Only this type", "consultation", "treatment", "allergy", "condition",
                    "medication")
                .integer("limit", "At most this many (default 20)", 1, 200).build(true),
            true, call -> {
              UUID patient = call.user("patient_id");
              return store.records(patient, call.string("record_type"), call.integer("limit", 20))
                  .map(list -> new JsonObject().put("patient_id", patient.toString()).put("records", list));
            }).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.medicalRecords()),
        new ToolDef("patient_analysis", "Patient analysis",
            "Summary of a patient for a doctor: age, treatments so far, allergies and conditions (with labels), "
                + "and the catalogue services those conditions rule out. Not a diagnosis.",
            Schema.object().string("patient_id", "The patient (UUID); optional with a context token").build(true),
            true, this::analysis).hints(ToolDef.Hints.READ_ONLY).output(OutputSchemas.patientAnalysis()));
  }

  private Future<Object> analysis(ToolCall call) {
    UUID patient = call.user("patient_id");
    return Future.all(profiles.profile(patient), store.records(patient, null, 200),
        store.services(new JsonArray(), null, null, 50)).map(all -> {
          JsonObject p = all.<Optional<JsonObject>>resultAt(0)
              .orElseThrow(() -> new ToolError("No patient with id " + patient));
          JsonArray records = all.resultAt(1);
          Set<String> conditions = Conditions.of(records, p.getInteger("age"));
          JsonArray flags = new JsonArray();
          conditions.forEach(c -> flags.add(new JsonObject().put("code", c).put("label", Conditions.label(c))));
          JsonArray treatments = new JsonArray();
          records.forEach(o -> {
            JsonObject r = (JsonObject) o;
            if ("treatment".equals(r.getString("record_type"))) {
              treatments.add(new JsonObject().put("title", r.getString("title"))
                  .put("recorded_at", r.getString("recorded_at")));
            }
          });
          JsonArray ruledOut = new JsonArray();
          all.<JsonArray>resultAt(2).forEach(o -> {
            JsonObject s = (JsonObject) o;
            JsonArray conflicts = Conditions.conflicts(s, conditions);
            if (!conflicts.isEmpty()) {
              ruledOut.add(new JsonObject().put("service_id", s.getString("id")).put("name", s.getString("name"))
                  .put("because", conflicts));
            }
          });
          return new JsonObject().put("patient_id", patient.toString()).put("full_name", p.getString("full_name"))
              .put("gender", p.getString("gender")).put("age", p.getInteger("age"))
              .put("records", records.size()).put("treatments", treatments).put("conditions", flags)
              .put("risk_level", conditions.isEmpty() ? "low" : conditions.size() < 2 ? "medium" : "high")
              .put("services_ruled_out", ruledOut)
              .put("disclaimer", "仅供医生参考，不构成诊断。 (For the doctor's reference; not a diagnosis.)");
        });
  }
}
