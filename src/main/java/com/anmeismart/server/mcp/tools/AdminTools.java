package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;
import java.util.UUID;

/** System tools: user_management, system_config, backup_restore, project_metrics. */
final class AdminTools {

  private static final Set<String> ROLES = Set.of("customer", "consultant", "doctor", "operator", "admin");

  private final ClinicStore store;

  AdminTools(ClinicStore store) {
    this.store = store;
  }

  List<ToolDef> defs() {
    return List.of(
        new ToolDef("user_management", "User management",
            "User accounts: action 'list' (optionally by role or a search text), 'get' one user, 'deactivate' or "
                + "'activate' a non-admin account. With a context token only that user can be read.",
            Schema.object().oneOf("action", "list, get, activate or deactivate", "list", "get", "activate", "deactivate")
                .string("user_id", "For get/activate/deactivate: the user (UUID)")
                .oneOf("role", "For list: only this role", "customer", "consultant", "doctor", "operator", "admin")
                .string("search", "For list: part of a username or full name", 64)
                .integer("limit", "For list: at most this many (default 20)", 1, 200).required("action").build(true),
            // activate/deactivate change an account; doing it again changes nothing more
            true, this::users).hints(ToolDef.Hints.OVERWRITES),
        new ToolDef("system_config", "System configuration",
            "System settings documents (e.g. registration_automation): action 'list' or 'get' (key), or 'set' a key "
                + "to a JSON value (value_json). No secrets are stored there.",
            Schema.object().oneOf("action", "list, get or set", "list", "get", "set")
                .string("key", "The settings key, e.g. registration_automation", 100)
                .string("value_json", "For set: the new value as a JSON object", 20_000).required("action")
                .build(false),
            false, this::config).hints(ToolDef.Hints.OVERWRITES),
        new ToolDef("backup_restore", "Configuration backup and restore",
            "Exports the configuration as JSON (system settings, MCP groups and tools, Dify configs; never keys or "
                + "other secrets), or imports such an export: settings and tool flags are applied; with dry_run "
                + "(default true) only what would change is reported.",
            Schema.object().oneOf("action", "export or import", "export", "import")
                .string("data", "For import: the exported JSON", 1_000_000)
                .bool("dry_run", "For import: report only (default true)").required("action").build(false),
            false, this::backup).hints(ToolDef.Hints.OVERWRITES),
        new ToolDef("project_metrics", "Project metrics",
            "Figures of the clinic system: customers, registrations (24 h, 7 days), active staff, automation jobs "
                + "by status, MCP calls and errors (24 h), booked appointments, open conversations.",
            Schema.object().build(false), false, call -> store.metrics().map(m -> (Object) m))
            .hints(ToolDef.Hints.READ_ONLY));
  }

  private Future<Object> users(ToolCall call) {
    String action = call.requiredString("action");
    if (call.scopeUser() != null && !action.equals("get")) {
      throw new ToolError("Not allowed with a context token: only 'get' of the token's user");
    }
    switch (action) {
      case "list" -> {
        String role = call.string("role");
        if (role != null && !ROLES.contains(role)) {
          throw new ToolError("role must be one of " + ROLES);
        }
        return store.users(role, null, call.string("search"), call.integer("limit", 20))
            .map(list -> new JsonObject().put("users", list).put("count", list.size()));
      }
      case "get" -> {
        UUID id = call.user("user_id");
        return store.profile(id).map(p -> (Object) p.orElseThrow(() -> new ToolError("No user with id " + id)));
      }
      case "activate", "deactivate" -> {
        UUID id = call.uuid("user_id");
        return store.setActive(id, action.equals("activate")).map(u -> (Object) u.orElseThrow(() ->
            new ToolError("No such non-admin user (admins are changed through the admin API)")));
      }
      default -> throw new ToolError("action must be list, get, activate or deactivate");
    }
  }

  private Future<Object> config(ToolCall call) {
    String action = call.requiredString("action");
    switch (action) {
      case "list" -> {
        return store.settings(null).map(list -> new JsonObject().put("settings", list));
      }
      case "get" -> {
        String key = call.requiredString("key");
        return store.settings(key).map(list -> {
          if (list.isEmpty()) {
            throw new ToolError("No setting " + key + " is stored (defaults apply)");
          }
          return list.getJsonObject(0);
        });
      }
      case "set" -> {
        String key = call.requiredString("key");
        if (!key.matches("^[a-z0-9_.]{1,100}$")) {
          throw new ToolError("key must be 1–100 characters of a-z, 0-9, _ and .");
        }
        return store.putSetting(key, jsonObject(call.requiredString("value_json"), "value_json"))
            .map(o -> (Object) o);
      }
      default -> throw new ToolError("action must be list, get or set");
    }
  }

  private Future<Object> backup(ToolCall call) {
    String action = call.requiredString("action");
    if (action.equals("export")) {
      return store.exportConfig().map(o -> (Object) o);
    }
    if (!action.equals("import")) {
      throw new ToolError("action must be export or import");
    }
    JsonObject data = jsonObject(call.requiredString("data"), "data");
    if (!"anmeismart-config/1".equals(data.getString("format"))) {
      throw new ToolError("data is not an export of this system (format anmeismart-config/1)");
    }
    JsonArray settings = data.getJsonArray("system_settings", new JsonArray());
    JsonArray tools = data.getJsonArray("mcp_tools", new JsonArray());
    if (call.bool("dry_run", true)) {
      return Future.succeededFuture(new JsonObject().put("dry_run", true)
          .put("settings", settings.stream().map(o -> ((JsonObject) o).getString("key")).toList())
          .put("tools", tools.size()));
    }
    return store.importConfig(settings, tools).map(r -> (Object) r.put("dry_run", false));
  }

  private static JsonObject jsonObject(String text, String name) {
    try {
      Object v = Json.decodeValue(text);
      if (v instanceof JsonObject o) {
        return o;
      }
    } catch (DecodeException e) {
      // reported below
    }
    throw new ToolError(name + " must be a JSON object");
  }
}
