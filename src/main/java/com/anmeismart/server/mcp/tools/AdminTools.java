package com.anmeismart.server.mcp.tools;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.automation.JobStore;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.dify.DifyConfigStore;
import com.anmeismart.server.mcp.McpStore;
import com.anmeismart.server.settings.Documents;
import com.anmeismart.server.settings.SettingsDocument;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * System tools: user_management, system_config, backup_restore, project_metrics. Every read and change goes
 * through the owner of the data (UserStore, SettingsStore, McpStore…) with the same rules, audit rows and change
 * events as the admin API; the actor in the audit log is the calling key's group.
 */
final class AdminTools {

  private static final Set<String> ROLES = Set.of("customer", "consultant", "doctor", "operator", "admin");
  private static final String FORMAT = "anmeismart-config/1";

  /** The owners' stores the tools go through. */
  record Owners(UserStore users, SettingsStore settings, McpStore mcp, DifyConfigStore dify, JobStore jobs,
                ConversationStore conversations, ClinicStore clinic, CustomerProfiles profiles, Pool pool,
                EventBus bus) {
  }

  private final Owners o;

  AdminTools(Owners owners) {
    this.o = owners;
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
            "System settings documents (registration_automation, notification_settings): action 'list' or 'get' "
                + "(key), or 'set': value_json "
                + "names the fields to change, checked by the same rules as the admin API (an invalid value changes "
                + "nothing). Only documented keys exist. Every change is audited. No secrets are stored there.",
            Schema.object().oneOf("action", "list, get or set", "list", "get", "set")
                .string("key", "The settings key: registration_automation or notification_settings", 100)
                .string("value_json", "For set: the new value as a JSON object", 20_000).required("action")
                .build(false),
            false, this::config).hints(ToolDef.Hints.OVERWRITES),
        new ToolDef("backup_restore", "Configuration backup and restore",
            "Exports the configuration as JSON (system settings, MCP groups and tools, Dify configs; never keys or "
                + "other secrets), or imports such an export: settings and tool flags are applied, all or nothing, "
                + "checked like the admin API's changes and audited; with dry_run (default true) only what would "
                + "change, and any problem, is reported.",
            Schema.object().oneOf("action", "export or import", "export", "import")
                .string("data", "For import: the exported JSON", 1_000_000)
                .bool("dry_run", "For import: report only (default true)").required("action").build(false),
            false, this::backup).hints(ToolDef.Hints.OVERWRITES),
        new ToolDef("project_metrics", "Project metrics",
            "Figures of the clinic system: customers, registrations (24 h, 7 days), active staff, automation jobs "
                + "by status, MCP calls and errors (24 h), booked appointments, open conversations.",
            Schema.object().build(false), false, this::metrics).hints(ToolDef.Hints.READ_ONLY));
  }

  private static Actor actor(ToolCall call) {
    return Actor.mcp(call.groupName());
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
        return o.users().find(role, call.string("search"), call.integer("limit", 20))
            .map(list -> new JsonObject().put("users", list).put("count", list.size()));
      }
      case "get" -> {
        UUID id = call.user("user_id");
        return o.profiles().profile(id).map(p -> (Object) p.orElseThrow(() -> new ToolError("No user with id " + id)));
      }
      case "activate", "deactivate" -> {
        UUID id = call.uuid("user_id");
        return o.users().update(id, UserStore.StaffUpdate.active(action.equals("activate")), actor(call))
            .recover(t -> Future.failedFuture(t instanceof UserStore.RuleException r ? new ToolError(r.getMessage()
                + " (" + r.code() + ")") : t))
            .map(u -> {
              JsonObject user = u.orElseThrow(() -> new ToolError("No user with id " + id));
              return new JsonObject().put("id", user.getString("id")).put("username", user.getString("username"))
                  .put("role", user.getString("role")).put("is_active", user.getBoolean("is_active"));
            });
      }
      default -> throw new ToolError("action must be list, get, activate or deactivate");
    }
  }

  private Future<Object> config(ToolCall call) {
    String action = call.requiredString("action");
    switch (action) {
      case "list" -> {
        List<Future<JsonObject>> all = Documents.ALL.stream().map(this::document).toList();
        return Future.all(all).map(v -> (Object) new JsonObject().put("settings",
            new JsonArray(all.stream().map(Future::result).toList())));
      }
      case "get" -> {
        return document(known(call.requiredString("key"))).map(d -> (Object) d);
      }
      case "set" -> {
        SettingsDocument<?> doc = known(call.requiredString("key"));
        JsonObject changes = jsonObject(call.requiredString("value_json"), "value_json");
        return o.settings().update(doc, changes, actor(call))
            .recover(t -> Future.failedFuture(t instanceof SettingsStore.InvalidSettingsException e
                ? new ToolError("Invalid settings, nothing changed: " + problems(e.fields())) : t))
            .map(saved -> (Object) new JsonObject().put("key", doc.key()).put("value", saved.json())
                .put("changed", saved.changed()).put("ignored_fields", new JsonArray(saved.ignored()))
                .put("updated_at", saved.updatedAt() == null ? null : saved.updatedAt().toString()));
      }
      default -> throw new ToolError("action must be list, get or set");
    }
  }

  /** A settings document as the tool shows it: the values in force, and whether the stored one is valid. */
  private <T> Future<JsonObject> document(SettingsDocument<T> doc) {
    return o.settings().document(doc, doc.defaults()).map(d -> new JsonObject().put("key", doc.key())
        .put("value", d.json()).put("valid", d.valid()).put("errors", d.problems())
        .put("updated_at", d.updatedAt() == null ? null : d.updatedAt().toString()));
  }

  /** Only documented settings documents exist: anything else would be a row nothing reads. */
  private static SettingsDocument<?> known(String key) {
    SettingsDocument<?> doc = Documents.byKey(key);
    if (doc == null) {
      throw new ToolError("Unknown settings document '" + key + "'; the documents are " + SettingsStore.DOCUMENTS);
    }
    return doc;
  }

  private static String problems(JsonObject fields) {
    List<String> out = new ArrayList<>();
    fields.forEach(e -> out.add(e.getKey() + ": " + e.getValue()));
    return String.join("; ", out);
  }

  private Future<Object> backup(ToolCall call) {
    String action = call.requiredString("action");
    if (action.equals("export")) {
      return Future.all(o.settings().export(), o.mcp().export(), o.dify().export()).map(all -> {
        JsonObject mcp = all.resultAt(1);
        return new JsonObject().put("format", FORMAT).put("exported_at", Instant.now().toString())
            .put("system_settings", all.<JsonArray>resultAt(0)).put("mcp_groups", mcp.getJsonArray("mcp_groups"))
            .put("mcp_tools", mcp.getJsonArray("mcp_tools")).put("dify_configs", all.<JsonArray>resultAt(2));
      });
    }
    if (!action.equals("import")) {
      throw new ToolError("action must be export or import");
    }
    JsonObject data = jsonObject(call.requiredString("data"), "data");
    if (!FORMAT.equals(data.getString("format"))) {
      throw new ToolError("data is not an export of this system (format " + FORMAT + ")");
    }
    Import plan = Import.read(data);
    if (call.bool("dry_run", true)) {
      return Future.succeededFuture(new JsonObject().put("dry_run", true)
          .put("settings", new JsonArray(plan.settings().stream().map(Import.Setting::key).toList()))
          .put("tools", plan.tools().size()).put("problems", new JsonArray(plan.problems())));
    }
    if (!plan.problems().isEmpty()) {
      throw new ToolError("Nothing imported: " + String.join("; ", plan.problems()));
    }
    Actor actor = actor(call);
    int[] changed = new int[2];
    Set<String> changedKeys = new java.util.LinkedHashSet<>();
    // one transaction: every owner writes its rows (with their audit rows) on it, so the import is all or nothing
    return o.pool().withTransaction(tx -> {
      Future<Void> chain = Future.succeededFuture();
      for (Import.Setting s : plan.settings()) {
        chain = chain.compose(v -> o.settings().update(tx, Documents.byKey(s.key()), s.value(), actor))
            .map(saved -> {
              if (saved.changed()) {
                changedKeys.add(s.key());
              }
              return null;
            });
      }
      for (Import.Tool t : plan.tools()) {
        chain = chain.compose(v -> o.mcp().importTool(tx, t.group(), t.tool(), t.change(), actor)).map(after -> {
          changed[1] += after.isPresent() ? 1 : 0;
          return null;
        });
      }
      return chain;
    }).recover(t -> Future.failedFuture(t instanceof SettingsStore.InvalidSettingsException e
        ? new ToolError("Nothing imported: invalid settings: " + problems(e.fields()))
        : t instanceof McpStore.UnknownToolException u ? new ToolError("Nothing imported: " + u.getMessage()) : t))
        .compose(v -> {
          changed[0] = changedKeys.size();
          changedKeys.forEach(o.settings()::announce);
          return changed[1] > 0 ? McpStore.announce(o.bus()) : Future.succeededFuture();
        })
        .map(v -> new JsonObject().put("dry_run", false).put("settings_applied", plan.settings().size())
            .put("tools_applied", plan.tools().size()).put("settings_changed", changed[0])
            .put("tools_changed", changed[1]));
  }

  private Future<Object> metrics(ToolCall call) {
    return Future.all(List.of(o.users().figures(), o.jobs().countByStatus(), o.mcp().callFigures(24),
        o.clinic().bookedAppointments(), o.conversations().openCount())).map(all -> {
          JsonObject users = all.resultAt(0);
          JsonObject jobs = new JsonObject();
          all.<java.util.Map<String, Long>>resultAt(1).forEach(jobs::put);
          JsonObject mcp = all.resultAt(2);
          return users.put("automation_jobs", jobs).put("mcp_calls_last_24h", mcp.getLong("calls"))
              .put("mcp_errors_last_24h", mcp.getLong("errors"))
              .put("appointments_booked", all.<Long>resultAt(3)).put("conversations_open", all.<Long>resultAt(4));
        });
  }

  static JsonObject jsonObject(String text, String name) {
    try {
      Object v = Json.decodeValue(text);
      if (v instanceof JsonObject obj) {
        return obj;
      }
    } catch (DecodeException e) {
      // reported below
    }
    throw new ToolError(name + " must be a JSON object");
  }
}
