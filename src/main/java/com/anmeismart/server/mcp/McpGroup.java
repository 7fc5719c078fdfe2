package com.anmeismart.server.mcp;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A tool group as the MCP server enforces it: the key's index, the flags, and its tool rows by name.
 *
 * @param keyHash the keyed hash of the group's current key, or null before one is generated
 */
public record McpGroup(UUID id, String name, boolean enabled, boolean requiresContextToken, String keyHash,
                       Map<String, Tool> tools) {

  /** One row of {@code mcp_tools}: a tool as this group holds it. */
  public record Tool(UUID id, String name, boolean enabled, int timeoutSeconds, JsonObject config, String description,
                     Instant updatedAt) {
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
}
