package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * An administrator's test call of one tool (the console's MCP panel): run it through the MCP server's guard as a
 * call of the tool's group, logged in the call log under {@code caller}.
 *
 * @param groupId    the group whose row of the tool is called (its enabled flag, timeout and config apply)
 * @param arguments  the tool's arguments
 * @param customerId when set, the call carries a context token for this customer (as the welcome agent's calls do)
 * @param caller     who to name in the call log, e.g. {@code admin:root}
 */
public record ToolTestRequest(UUID groupId, String toolName, JsonObject arguments, UUID customerId, String caller) {

  public JsonObject toJson() {
    return new JsonObject().put("group_id", groupId.toString()).put("tool_name", toolName).put("arguments", arguments)
        .put("customer_id", customerId == null ? null : customerId.toString()).put("caller", caller);
  }

  public static ToolTestRequest fromJson(JsonObject j) {
    String customer = j.getString("customer_id");
    return new ToolTestRequest(UUID.fromString(j.getString("group_id")), j.getString("tool_name"),
        j.getJsonObject("arguments", new JsonObject()), customer == null ? null : UUID.fromString(customer),
        j.getString("caller"));
  }
}
