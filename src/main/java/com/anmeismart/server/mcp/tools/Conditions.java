package com.anmeismart.server.mcp.tools;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The condition codes shared by medical records and catalogue contraindications, with their Chinese labels. */
final class Conditions {

  static final Map<String, String> LABELS = Map.ofEntries(
      Map.entry("pregnancy", "孕期"), Map.entry("breastfeeding", "哺乳期"),
      Map.entry("active_skin_infection", "皮肤感染或破损"), Map.entry("anticoagulants", "服用抗凝药"),
      Map.entry("hyaluronic_acid_allergy", "透明质酸过敏"), Map.entry("photosensitivity", "光敏体质"),
      Map.entry("isotretinoin_6m", "近 6 个月服用异维 A 酸"), Map.entry("recent_tan", "近期暴晒"),
      Map.entry("keloid_tendency", "瘢痕体质"), Map.entry("diabetes_uncontrolled", "血糖控制不佳"),
      Map.entry("neuromuscular_disease", "神经肌肉疾病"), Map.entry("under_18", "未满 18 岁"),
      Map.entry("autoimmune_disease", "自身免疫病"), Map.entry("pacemaker", "心脏起搏器"),
      Map.entry("metal_implants_face", "面部金属植入物"), Map.entry("lidocaine_allergy", "利多卡因过敏"));

  private Conditions() {
  }

  static String label(String code) {
    return LABELS.getOrDefault(code, code);
  }

  /** The patient's condition codes from their records, plus under_18 from their age. */
  static Set<String> of(JsonArray records, Integer age) {
    Set<String> out = new LinkedHashSet<>();
    for (Object o : records) {
      ((JsonObject) o).getJsonArray("conditions").forEach(c -> out.add(String.valueOf(c)));
    }
    if (age != null && age < 18) {
      out.add("under_18");
    }
    return out;
  }

  /** The conditions of the patient that rule the service out, as {@code [{code, label}]}. */
  static JsonArray conflicts(JsonObject service, Set<String> patientConditions) {
    JsonArray out = new JsonArray();
    for (Object c : service.getJsonArray("contraindications")) {
      if (patientConditions.contains(String.valueOf(c))) {
        out.add(new JsonObject().put("code", c).put("label", label(String.valueOf(c))));
      }
    }
    return out;
  }
}
