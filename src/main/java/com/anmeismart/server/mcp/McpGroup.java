package com.anmeismart.server.mcp;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A tool group as the MCP server enforces it: the key's index, the flags, its quota and its tool rows by name.
 *
 * @param keyHash               the keyed hash of the group's current key, or null before one is generated
 * @param previousKeyHash       the keyed hash of the key it had before its last rotation, while that rotation's grace
 *                              period lasts (null: none)
 * @param previousKeyValidUntil when the previous key stops working (null with no previous key)
 * @param quota                 the limits on the key's tool calls
 */
public record McpGroup(UUID id, String name, boolean enabled, boolean requiresContextToken, String keyHash,
                       Map<String, Tool> tools, String previousKeyHash, Instant previousKeyValidUntil,
                       Quota quota) {

  /** A group without a previous key and without limits. */
  public McpGroup(UUID id, String name, boolean enabled, boolean requiresContextToken, String keyHash,
                  Map<String, Tool> tools) {
    this(id, name, enabled, requiresContextToken, keyHash, tools, null, null, Quota.NONE);
  }

  /**
   * Limits on calls: a token bucket ({@code ratePerSecond} refilled continuously, {@code burst} its size: calls
   * allowed at once after a quiet spell) and a cap on calls in flight. Null fields are unlimited.
   */
  public record Quota(Double ratePerSecond, Integer burst, Integer maxConcurrent) {
    public static final Quota NONE = new Quota(null, null, null);

    public boolean limited() {
      return ratePerSecond != null || maxConcurrent != null;
    }

    /** The bucket's size: {@code burst}, else one second's worth of the rate (at least one call). */
    public long bucketSize() {
      return burst != null ? burst : Math.max(1, (long) Math.ceil(ratePerSecond == null ? 1 : ratePerSecond));
    }
  }

  /** One row of {@code mcp_tools}: a tool as this group holds it. */
  public record Tool(UUID id, String name, boolean enabled, int timeoutSeconds, JsonObject config, String description,
                     Instant updatedAt, Quota quota) {

    /** A tool row without limits of its own. */
    public Tool(UUID id, String name, boolean enabled, int timeoutSeconds, JsonObject config, String description,
                Instant updatedAt) {
      this(id, name, enabled, timeoutSeconds, config, description, updatedAt, Quota.NONE);
    }
  }

  /** The tool if this group holds it enabled, else null: everything else is "unknown tool" to the caller. */
  public Tool enabledTool(String toolName) {
    Tool t = tools.get(toolName);
    return t != null && t.enabled() ? t : null;
  }

  /** Names of the enabled tools, sorted. */
  public Set<String> enabledToolNames() {
    Set<String> names = new TreeSet<>();
    tools.values().stream().filter(Tool::enabled).forEach(t -> names.add(t.name()));
    return names;
  }

  /** Whether the previous key still works at {@code now}. */
  public boolean previousKeyValid(Instant now) {
    return previousKeyHash != null && previousKeyValidUntil != null && now.isBefore(previousKeyValidUntil);
  }
}
