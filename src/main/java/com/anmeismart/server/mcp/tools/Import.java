package com.anmeismart.server.mcp.tools;

import com.anmeismart.server.mcp.McpStore;
import com.anmeismart.server.settings.Documents;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@code backup_restore} import would apply, read and checked before anything is written: the settings
 * documents (checked by their own rules) and the tool rows (checked as the admin API's {@code PUT /mcp/tools/{id}}
 * checks them). Any problem refuses the whole import.
 */
record Import(List<Setting> settings, List<Tool> tools, List<String> problems) {

  /** A settings document to apply (its fields replace the values in force). */
  record Setting(String key, JsonObject value) {
  }

  /** A tool row's flags; null fields keep their value. */
  record Tool(String group, String tool, McpStore.ToolChange change) {
  }

  static Import read(JsonObject data) {
    List<String> problems = new ArrayList<>();
    List<Setting> settings = new ArrayList<>();
    List<Tool> tools = new ArrayList<>();
    JsonArray docs = array(data, "system_settings", problems);
    for (int i = 0; i < docs.size(); i++) {
      String where = "system_settings[" + i + "]";
      if (!(docs.getValue(i) instanceof JsonObject d)) {
        problems.add(where + ": must be an object {key, value}");
        continue;
      }
      String key = d.getValue("key") instanceof String k ? k : null;
      if (key == null || !SettingsStore.DOCUMENTS.contains(key)) {
        problems.add(where + ": unknown settings document '" + key + "' (the documents are " + SettingsStore.DOCUMENTS
            + ")");
        continue;
      }
      if (!(d.getValue("value") instanceof JsonObject value)) {
        problems.add(where + " (" + key + "): value must be a JSON object");
        continue;
      }
      Documents.byKey(key).check(value).forEach(e -> problems.add(where + " (" + key + "): " + e.getKey() + ": "
          + e.getValue()));
      settings.add(new Setting(key, value));
    }
    JsonArray rows = array(data, "mcp_tools", problems);
    for (int i = 0; i < rows.size(); i++) {
      String where = "mcp_tools[" + i + "]";
      if (!(rows.getValue(i) instanceof JsonObject t)) {
        problems.add(where + ": must be an object");
        continue;
      }
      int before = problems.size();
      String group = text(t, "group_name", where, problems, 1, 100, true);
      String tool = text(t, "tool_name", where, problems, 1, 100, true);
      String description = text(t, "description", where, problems, 1, 2000, false);
      Object enabled = t.getValue("enabled");
      if (enabled != null && !(enabled instanceof Boolean)) {
        problems.add(where + ": enabled must be true or false");
      }
      Object timeout = t.getValue("timeout_seconds");
      if (timeout != null && !(timeout instanceof Integer || timeout instanceof Long)
          || timeout instanceof Number n && (n.longValue() < 1 || n.longValue() > 300)) {
        problems.add(where + ": timeout_seconds must be an integer from 1 to 300");
      }
      Object config = t.getValue("config_data");
      if (config != null && !(config instanceof JsonObject)) {
        problems.add(where + ": config_data must be a JSON object");
      }
      if (problems.size() == before) {
        tools.add(new Tool(group, tool, new McpStore.ToolChange(null, (Boolean) enabled,
            timeout == null ? null : ((Number) timeout).intValue(), description, (JsonObject) config)));
      }
    }
    return new Import(List.copyOf(settings), List.copyOf(tools), List.copyOf(problems));
  }

  private static JsonArray array(JsonObject data, String field, List<String> problems) {
    Object v = data.getValue(field);
    if (v == null) {
      return new JsonArray();
    }
    if (v instanceof JsonArray a) {
      return a;
    }
    problems.add(field + ": must be a list");
    return new JsonArray();
  }

  private static String text(JsonObject o, String field, String where, List<String> problems, int min, int max,
                             boolean required) {
    Object v = o.getValue(field);
    if (v == null && !required) {
      return null;
    }
    if (v instanceof String s && s.length() >= min && s.length() <= max) {
      return s;
    }
    problems.add(where + ": " + field + " must be a text of " + min + " to " + max + " characters");
    return null;
  }
}
