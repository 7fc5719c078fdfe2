package com.anmeismart.server.audit;

import java.util.UUID;

/**
 * Who made a change, as the audit log records it.
 *
 * @param id   the user's id (kind {@code user}), else null
 * @param name what the console shows: for a user, the name given here is only the fallback; the audit row takes the
 *             account's display name (full name, else username) at the time of the change
 * @param kind {@code user} (an admin through the REST API), {@code mcp} (an MCP admin tool, named by its group's
 *             key), {@code system} (the server itself)
 */
public record Actor(UUID id, String name, String kind) {

  public static final String USER = "user";
  public static final String MCP = "mcp";
  public static final String SYSTEM = "system";

  /** A signed-in user; {@code username} is used only if the account no longer exists. */
  public static Actor user(UUID id, String username) {
    return new Actor(id, username == null ? "未知用户" : username, USER);
  }

  /** An MCP tool call, named by the group whose key it carried. */
  public static Actor mcp(String groupName) {
    return new Actor(null, groupName, MCP);
  }

  public static Actor system(String name) {
    return new Actor(null, name, SYSTEM);
  }

  public boolean isUser() {
    return USER.equals(kind);
  }
}
