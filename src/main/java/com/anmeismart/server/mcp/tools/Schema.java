package com.anmeismart.server.mcp.tools;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Builds the flat input schemas the tools publish: {@code type: object}, primitive properties with descriptions,
 * {@code required}. No anyOf/oneOf/$ref (Dify turns those into strings or fails on them).
 */
public final class Schema {

  public static final String CONTEXT_TOKEN = "context_token";

  private final JsonObject properties = new JsonObject();
  private final JsonArray required = new JsonArray();

  public static Schema object() {
    return new Schema();
  }

  public Schema string(String name, String description) {
    properties.put(name, new JsonObject().put("type", "string").put("description", description));
    return this;
  }

  public Schema string(String name, String description, int maxLength) {
    properties.put(name, new JsonObject().put("type", "string").put("description", description)
        .put("maxLength", maxLength));
    return this;
  }

  public Schema integer(String name, String description, int min, int max) {
    properties.put(name, new JsonObject().put("type", "integer").put("description", description)
        .put("minimum", min).put("maximum", max));
    return this;
  }

  public Schema bool(String name, String description) {
    properties.put(name, new JsonObject().put("type", "boolean").put("description", description));
    return this;
  }

  public Schema oneOf(String name, String description, String... values) {
    properties.put(name, new JsonObject().put("type", "string").put("description", description)
        .put("enum", new JsonArray(java.util.List.of(values))));
    return this;
  }

  public Schema required(String... names) {
    for (String n : names) {
      required.add(n);
    }
    return this;
  }

  /** The schema; user-scoped tools also declare the optional {@code context_token} argument. */
  public JsonObject build(boolean userScoped) {
    JsonObject props = properties.copy();
    if (userScoped) {
      props.put(CONTEXT_TOKEN, new JsonObject().put("type", "string").put("description",
          "The context token given to the agent with the conversation (if any); it limits the call to that customer"));
    }
    JsonObject schema = new JsonObject().put("type", "object").put("properties", props);
    if (!required.isEmpty()) {
      schema.put("required", required.copy());
    }
    return schema;
  }
}
