package com.anmeismart.server.mcp;

import com.anmeismart.server.mcp.tools.ToolDef;
import com.anmeismart.server.mcp.transport.JsonRpc;
import com.anmeismart.server.mcp.transport.McpAuth;
import com.anmeismart.server.mcp.transport.StdioMapper;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Builds the SDK servers (one per transport provider) over the same tools. The SDK owns JSON-RPC, initialization
 * and version negotiation; we give it the tools, a list filter (what a group sees) and, inside every call handler,
 * the {@link ToolRunner} guard (the SDK's filter only hides tools from listings: a hidden tool called by name would
 * still run). The SDK's own input validation is off because it would run before the guard and reveal, through its
 * error, that a hidden tool exists; the runner validates after the guard instead.
 */
public final class McpServers {

  public static final String SERVER_NAME = "anmeismart-mcp";
  public static final String SERVER_VERSION = "1.0.0";
  public static final String INSTRUCTIONS = "AnmeiSmart (安美智享) clinic tools. The tools you see depend on your "
      + "API key's group. When the conversation gave you a context token, pass it as context_token (or the "
      + "X-Context-Token header): calls are then limited to that customer.";

  private McpServers() {
  }

  /**
   * Every tool as MCP publishes it, by name, in definition order: built once and shared by the SDK servers and the
   * stateless era, so both list the same definitions. The input schema is a fresh copy of the declared one (nothing
   * else ever holds it, so nothing can write into it); the annotations state all four hints.
   */
  public static Map<String, McpSchema.Tool> published(List<ToolDef> defs) {
    Map<String, McpSchema.Tool> out = new LinkedHashMap<>();
    for (ToolDef def : defs) {
      McpSchema.Tool.Builder b = McpSchema.Tool.builder().name(def.name()).title(def.title())
          .description(def.description()).inputSchema(plain(def.inputSchema()));
      if (def.outputSchema() != null) {
        b.outputSchema(plain(def.outputSchema()));
      }
      if (def.hints() != null) {
        ToolDef.Hints h = def.hints();
        b.annotations(new McpSchema.ToolAnnotations(null, h.readOnly(), h.destructive(), h.idempotent(),
            h.openWorld(), null));
      }
      out.put(def.name(), b.build());
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /**
   * @param published the tools as {@link #published} built them
   * @param groupOf   the caller's group for a request (from the transport context, or fixed for stdio)
   */
  public static McpAsyncServer streamable(McpStreamableServerTransportProvider provider, ToolRunner runner,
                                          Map<String, McpSchema.Tool> published,
                                          Function<McpTransportContext, UUID> groupOf) {
    return configure(McpServer.async(provider), runner, published, groupOf);
  }

  public static McpAsyncServer sse(McpServerTransportProvider provider, ToolRunner runner,
                                   Map<String, McpSchema.Tool> published,
                                   Function<McpTransportContext, UUID> groupOf) {
    return configure(McpServer.async(provider), runner, published, groupOf);
  }

  /** stdio: the SDK's transport, so the server converts params with the checking mapper ({@link StdioMapper}). */
  public static McpAsyncServer stdio(McpServerTransportProvider provider, StdioMapper mapper, ToolRunner runner,
                                     Map<String, McpSchema.Tool> published,
                                     Function<McpTransportContext, UUID> groupOf) {
    return configure(McpServer.async(provider).jsonMapper(mapper), runner, published, groupOf);
  }

  /** The HTTP transports' group: put on the context by {@link McpAuth}. */
  public static UUID groupFromContext(McpTransportContext ctx) {
    Object id = ctx.get(McpAuth.CTX_GROUP_ID);
    return id instanceof UUID u ? u : null;
  }

  private static McpAsyncServer configure(McpServer.AsyncSpecification<?> spec, ToolRunner runner,
                                          Map<String, McpSchema.Tool> published,
                                          Function<McpTransportContext, UUID> groupOf) {
    List<McpServerFeatures.AsyncToolSpecification> tools = new ArrayList<>();
    for (McpSchema.Tool tool : published.values()) {
      tools.add(new McpServerFeatures.AsyncToolSpecification(tool, (exchange, request) ->
          call(runner, groupOf, exchange, request)));
    }
    return spec.serverInfo(SERVER_NAME, SERVER_VERSION)
        .instructions(INSTRUCTIONS)
        .jsonSchemaValidator(new SchemaChecks(McpJsonDefaults.getSchemaValidator()))
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .validateToolInputs(false)
        .requestTimeout(Duration.ofSeconds(60))
        .addToolFilter((ctx, tool) -> Mono.just(runner.visible(groupOf.apply(ctx), tool.name())))
        .tools(tools)
        .build();
  }

  private static Mono<McpSchema.CallToolResult> call(ToolRunner runner, Function<McpTransportContext, UUID> groupOf,
                                                     McpAsyncServerExchange exchange, McpSchema.CallToolRequest req) {
    McpTransportContext ctx = exchange.transportContext();
    Object token = ctx.get(McpAuth.CTX_CONTEXT_TOKEN);
    Object callerHeader = ctx.get(McpAuth.CTX_CALLER);
    String caller = callerHeader != null ? callerHeader.toString()
        : exchange.getClientInfo() != null ? exchange.getClientInfo().name() : "unknown";
    Object keyUsed = ctx.get(McpAuth.CTX_KEY_USED);
    ToolRunner.Caller who = new ToolRunner.Caller(groupOf.apply(ctx), token == null ? null : token.toString(), caller,
        keyUsed == null ? null : keyUsed.toString());
    JsonObject args = req.arguments() == null ? new JsonObject() : new JsonObject(req.arguments());
    return Mono.fromCompletionStage(runner.call(who, req.name(), args).toCompletionStage()).flatMap(outcome -> {
      if (outcome.throttled()) {
        // SPEC §11: -32000 with data.retry_after_ms (stdio, and the legacy SSE stream); the Streamable HTTP transport
        // answers this error with HTTP 429 and Retry-After (transport.Throttled)
        return Mono.error(McpError.builder(ToolRunner.THROTTLED_CODE).message(outcome.text())
            .data(Map.of(ToolRunner.RETRY_AFTER_MS, outcome.retryAfterMs())).build());
      }
      if (outcome.unknown()) {
        // Word for word what the SDK answers for a tool that does not exist: a hidden tool looks the same.
        return Mono.error(McpError.builder(JsonRpc.INVALID_PARAMS).message("Unknown tool: invalid_tool_name")
            .data("Tool not found: " + req.name()).build());
      }
      // The text content goes to every client; structuredContent too when the tool declares an output schema (the
      // transports drop it again for sessions older than 2025-06-18, see Outgoing).
      McpSchema.CallToolResult.Builder result = McpSchema.CallToolResult.builder()
          .content(List.of(McpSchema.TextContent.builder(outcome.text()).build())).isError(outcome.error());
      if (outcome.structured() != null) {
        result.structuredContent(plainValue(outcome.structured()));
      }
      return Mono.just(result.build());
    });
  }

  /**
   * The SDK's JSON Schema checks without its per-call output check. The SDK checks every tool's schemas when the
   * server is built (kept: a broken schema fails the start), and validates every structured result of a tool with
   * an output schema against it, converting the result to a Jackson tree and hashing the whole schema per call.
   * The {@link ToolRunner} has already validated that result against the same schema, compiled once, for both eras.
   */
  private record SchemaChecks(JsonSchemaValidator sdk) implements JsonSchemaValidator {
    @Override
    public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
      return ValidationResponse.asValid(null);
    }

    @Override
    public ValidationResponse validateSchema(Map<String, Object> schema) {
      return sdk.validateSchema(schema);
    }
  }

  /** Vert.x JSON → plain maps and lists, which the SDK's Jackson 3 mapper serializes. */
  public static Map<String, Object> plain(JsonObject o) {
    Map<String, Object> out = new LinkedHashMap<>();
    o.forEach(e -> out.put(e.getKey(), plainValue(e.getValue())));
    return out;
  }

  public static Object plainValue(Object v) {
    if (v instanceof JsonObject o) {
      return plain(o);
    }
    if (v instanceof JsonArray a) {
      List<Object> list = new ArrayList<>();
      a.forEach(x -> list.add(plainValue(x)));
      return list;
    }
    return v;
  }
}
