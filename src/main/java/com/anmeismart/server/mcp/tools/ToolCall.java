package com.anmeismart.server.mcp.tools;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * One call of a tool: its validated arguments (without {@code context_token}), the user a context token limits it to
 * (or null), the calling group and the tool row's config from {@code mcp_tools.config_data}.
 */
public final class ToolCall {

  private final JsonObject args;
  private final UUID scopeUser;
  private final String groupName;
  private final JsonObject config;

  public ToolCall(JsonObject args, UUID scopeUser, String groupName, JsonObject config) {
    this.args = args;
    this.scopeUser = scopeUser;
    this.groupName = groupName;
    this.config = config == null ? new JsonObject() : config;
  }

  public JsonObject args() {
    return args;
  }

  /** The user of the context token, or null when the call carried none. */
  public UUID scopeUser() {
    return scopeUser;
  }

  public String groupName() {
    return groupName;
  }

  public JsonObject config() {
    return config;
  }

  public String string(String name) {
    Object v = args.getValue(name);
    if (v == null) {
      return null;
    }
    String s = v.toString().strip();
    return s.isEmpty() ? null : s;
  }

  public String requiredString(String name) {
    String s = string(name);
    if (s == null) {
      throw new ToolError(name + " is required");
    }
    return s;
  }

  public int integer(String name, int def) {
    Object v = args.getValue(name);
    return v instanceof Number n ? n.intValue() : def;
  }

  public boolean bool(String name, boolean def) {
    Object v = args.getValue(name);
    return v instanceof Boolean b ? b : def;
  }

  /** A comma-separated text or a JSON array as words. */
  public JsonArray words(String name) {
    JsonArray out = new JsonArray();
    Object v = args.getValue(name);
    if (v instanceof JsonArray a) {
      a.forEach(x -> add(out, String.valueOf(x)));
    } else if (v != null) {
      for (String s : v.toString().split("[,，、;；\\s]+")) {
        add(out, s);
      }
    }
    return out;
  }

  private static void add(JsonArray out, String s) {
    if (!s.isBlank()) {
      out.add(s.strip());
    }
  }

  /** A required UUID argument (a malformed one names nothing that exists). */
  public UUID uuid(String name) {
    String s = requiredString(name);
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw new ToolError(name + " must be a UUID");
    }
  }

  /**
   * The user this call is about, from argument {@code name}. With a context token: that token's user; naming
   * anyone else is refused, so an agent steered by a customer's text can't read another customer. Without a
   * token: the argument, required.
   */
  public UUID user(String name) {
    String s = string(name);
    if (scopeUser != null) {
      if (s != null && !s.equalsIgnoreCase(scopeUser.toString())) {
        throw new ToolError("Not allowed: the context token of this call is for another user; " + name
            + " must be that user or be left out");
      }
      return scopeUser;
    }
    if (s == null) {
      throw new ToolError(name + " is required (or pass a context token)");
    }
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw new ToolError(name + " must be a UUID");
    }
  }
}
