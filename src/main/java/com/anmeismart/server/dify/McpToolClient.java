package com.anmeismart.server.dify;

import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The local agent's MCP client (the official SDK's, over Streamable HTTP), used the way Dify uses MCP servers:
 * a fresh session per tool call (initialize, initialized, tools/call, DELETE), the group key as a bearer token and
 * the context token as {@code X-Context-Token}. The sessions share one Vert.x HTTP client (keep-alive connections,
 * see {@link VertxMcpClientTransport}). Results come back on the caller's Vert.x context.
 */
final class McpToolClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final McpJsonMapper MAPPER = McpJsonDefaults.getMapper();

  /** A tool's answer: its text, and whether the tool reported an error. */
  record ToolResult(String text, boolean isError) {
  }

  private final HttpClient http;

  McpToolClient(HttpClient http) {
    this.http = http;
  }

  /** @param baseUrl e.g. {@code http://127.0.0.1:8000} (the endpoint is {@code /mcp}) */
  Future<ToolResult> call(Context context, String baseUrl, String groupKey, String contextToken, String tool,
                          Map<String, Object> args) {
    VertxMcpClientTransport transport = new VertxMcpClientTransport(http, baseUrl + "/mcp",
        Map.of("Authorization", "Bearer " + groupKey, "X-Context-Token", contextToken), MAPPER);
    McpAsyncClient client = McpClient.async(transport)
        .clientInfo(new McpSchema.Implementation("anmeismart-local-agent", LocalAgentVerticle.VERSION))
        .requestTimeout(TIMEOUT)
        .initializationTimeout(TIMEOUT)
        .build();
    var call = client.initialize()
        .then(client.callTool(new McpSchema.CallToolRequest(tool, args)))
        .map(result -> new ToolResult(result.content().stream()
            .filter(c -> c instanceof McpSchema.TextContent)
            .map(c -> ((McpSchema.TextContent) c).text())
            .collect(Collectors.joining("\n")), Boolean.TRUE.equals(result.isError())))
        .flatMap(result -> client.closeGracefully().thenReturn(result))
        .doOnError(t -> client.close());
    return Future.fromCompletionStage(call.toFuture(), context);
  }
}
