package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * One MCP tool: its name, what a model reads about it, its flat input schema (Dify flattens anyOf/oneOf to strings,
 * so properties are primitives with descriptions), its behaviour hints, the schema of its result when it returns a
 * record, and its implementation.
 *
 * @param userScoped   the tool accepts a {@code context_token} argument: a tool that reads or writes one customer's
 *                     data is then limited to that token's user; any other (the catalogue) can be called by a group
 *                     that requires a token on every call
 * @param hints        what the tool does to the clinic's data (published as the MCP tool annotations)
 * @param outputSchema the JSON Schema every successful result conforms to, or null: published as {@code outputSchema}
 *                     and the result sent as {@code structuredContent} too, to clients whose revision has them
 */
public record ToolDef(String name, String title, String description, JsonObject inputSchema, boolean userScoped,
                      Handler handler, Hints hints, JsonObject outputSchema) {

  /** A tool without declared hints or output schema yet (see {@link #hints(Hints)}, {@link #output(JsonObject)}). */
  public ToolDef(String name, String title, String description, JsonObject inputSchema, boolean userScoped,
                 Handler handler) {
    this(name, title, description, inputSchema, userScoped, handler, null, null);
  }

  /** This tool with its behaviour hints. */
  public ToolDef hints(Hints h) {
    return new ToolDef(name, title, description, inputSchema, userScoped, handler, h, outputSchema);
  }

  /** This tool with the schema of its successful results. */
  public ToolDef output(JsonObject schema) {
    return new ToolDef(name, title, description, inputSchema, userScoped, handler, hints, schema);
  }

  /** The implementation: a result (JSON object or array) or a failed future ({@link ToolError} for the caller). */
  @FunctionalInterface
  public interface Handler {
    Future<Object> call(ToolCall call);
  }

  /**
   * The MCP tool annotations (spec "Tools", ToolAnnotations), all four always stated: a client treats a missing hint
   * as its default, and the defaults (not read-only, destructive, open world) describe none of our tools.
   *
   * @param readOnly    the tool changes nothing
   * @param destructive it may change or remove what is there (false: it only adds)
   * @param idempotent  calling it again with the same arguments changes nothing more
   * @param openWorld   it reaches beyond the clinic's own data (no tool here does)
   */
  public record Hints(boolean readOnly, boolean destructive, boolean idempotent, boolean openWorld) {
    /** Reads the clinic's database and nothing else. */
    public static final Hints READ_ONLY = new Hints(true, false, true, false);
    /** Adds rows (a draft, a booking) and never changes or removes what exists. */
    public static final Hints ADDITIVE = new Hints(false, false, false, false);
    /** Sets or overwrites existing data; setting the same value again changes nothing more. */
    public static final Hints OVERWRITES = new Hints(false, true, true, false);
  }
}
