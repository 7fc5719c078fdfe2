package com.anmeismart.server.dify;

import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Context;
import io.vertx.core.Future;
import reactor.core.publisher.Mono;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The local agent's MCP client: the official SDK's, over Streamable HTTP, with the group key as a bearer token and
 * the customer's context token as the {@code context_token} argument. Unlike Dify, which opens a session for every
 * tool call (initialize, initialized, tools/call, DELETE), it keeps one session per key and opens a new one when the
 * key or the server's port changes (a rotation, a restart of the MCP part), when the server no longer knows the session (a restart: the SDK initializes again), or
 * after a failed call. A session per call cost two more round trips and, with the SDK's transport, a new JDK
 * HttpClient (its own selector thread and connection) each time. Used from one verticle context only; results come
 * back on the caller's context.
 */
final class McpToolClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** A tool's answer: its text, and whether the tool reported an error. */
  record ToolResult(String text, boolean isError) {
  }

  private record Session(String baseUrl, String key, McpAsyncClient client) {
  }

  private final Supplier<String> baseUrl;
  private Session session;

  /** @param baseUrl e.g. {@code http://127.0.0.1:8000} (the endpoint is {@code /mcp}), read for every call */
  McpToolClient(Supplier<String> baseUrl) {
    this.baseUrl = baseUrl;
  }

  Future<ToolResult> call(Context context, String groupKey, String contextToken, String tool, Map<String, Object> args) {
    Map<String, Object> arguments = new HashMap<>(args);
    arguments.put("context_token", contextToken);
    Session used = session(baseUrl.get(), groupKey);
    Mono<ToolResult> call = used.client().callTool(new McpSchema.CallToolRequest(tool, arguments))
        .map(result -> new ToolResult(result.content().stream()
            .filter(c -> c instanceof McpSchema.TextContent)
            .map(c -> ((McpSchema.TextContent) c).text())
            .collect(Collectors.joining("\n")), Boolean.TRUE.equals(result.isError())));
    return Future.fromCompletionStage(call.toFuture(), context).onFailure(t -> {
      if (session == used) { // the next call starts afresh
        session = null;
        used.client().close();
      }
    });
  }

  private Session session(String url, String key) {
    if (session == null || !session.key().equals(key) || !session.baseUrl().equals(url)) {
      if (session != null) {
        session.client().closeGracefully().subscribe(null, t -> { });
      }
      HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(url)
          .endpoint("/mcp")
          .connectTimeout(Duration.ofSeconds(5))
          .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + key))
          .build();
      session = new Session(url, key, McpClient.async(transport)
          .clientInfo(new McpSchema.Implementation("anmeismart-local-agent", LocalAgentVerticle.VERSION))
          .requestTimeout(TIMEOUT)
          .initializationTimeout(TIMEOUT)
          .build());
    }
    return session;
  }

  /** Ends the open session (a DELETE to the server). */
  Future<Void> close() {
    if (session == null) {
      return Future.succeededFuture();
    }
    McpAsyncClient client = session.client();
    session = null;
    return Future.fromCompletionStage(client.closeGracefully().then().toFuture()).otherwiseEmpty();
  }
}
