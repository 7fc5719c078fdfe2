package com.anmeismart.server.dify;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.ProtocolVersions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A Streamable HTTP client transport for the MCP SDK's client on a shared Vert.x {@link HttpClient}: one session's
 * POSTs (JSON or an SSE stream back), and its DELETE at close. The SDK's own {@code HttpClientStreamableHttpTransport}
 * builds a JDK {@code HttpClient} per transport (a selector thread and new connections each time), which made a
 * session per tool call cost ~100 ms under load; on a shared pool of keep-alive connections it costs about 1 ms.
 * Only what the local agent needs: no GET stream for server-initiated messages, no resumption.
 */
final class VertxMcpClientTransport implements McpClientTransport {

  private static final List<String> VERSIONS = List.of(ProtocolVersions.MCP_2025_03_26,
      ProtocolVersions.MCP_2025_06_18, ProtocolVersions.MCP_2025_11_25);

  private final HttpClient http;
  private final String url;
  private final Map<String, String> headers;
  private final McpJsonMapper mapper;
  private volatile Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler;
  private volatile String sessionId;

  /** @param url the endpoint, e.g. {@code http://127.0.0.1:8000/mcp}; {@code headers} go on every request */
  VertxMcpClientTransport(HttpClient http, String url, Map<String, String> headers, McpJsonMapper mapper) {
    this.http = http;
    this.url = url;
    this.headers = headers;
    this.mapper = mapper;
  }

  @Override
  public List<String> protocolVersions() {
    return VERSIONS;
  }

  @Override
  public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
    this.handler = handler;
    return Mono.empty();
  }

  @Override
  public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
    Buffer body;
    try {
      body = Buffer.buffer(mapper.writeValueAsBytes(message));
    } catch (IOException e) {
      return Mono.error(e);
    }
    Future<Void> sent = http.request(options(HttpMethod.POST)
            .putHeader("Content-Type", "application/json")
            .putHeader("Accept", "application/json, text/event-stream"))
        .compose(req -> req.send(body))
        .compose(res -> res.body().compose(answer -> received(res, answer)));
    return Mono.fromCompletionStage(sent.toCompletionStage());
  }

  private Future<Void> received(HttpClientResponse res, Buffer answer) {
    if (res.statusCode() / 100 != 2) {
      return Future.failedFuture(new IllegalStateException("MCP server answered HTTP " + res.statusCode() + ": "
          + answer.toString().substring(0, Math.min(300, answer.length()))));
    }
    String session = res.getHeader("Mcp-Session-Id");
    if (session != null) {
      sessionId = session;
    }
    String type = res.getHeader("Content-Type");
    try {
      if (type != null && type.startsWith("text/event-stream")) {
        DifyClient.SseParser parser = new DifyClient.SseParser(event -> {
          if (event.data().containsKey("jsonrpc")) { // not a priming or keep-alive event
            deliver(event.data().encode());
          }
        });
        parser.handle(answer);
        parser.handle(Buffer.buffer("\n\n")); // the last event, if the stream ended without its blank line
      } else if (answer.length() > 0) {
        deliver(answer.toString());
      }
      return Future.succeededFuture();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void deliver(String json) {
    McpSchema.JSONRPCMessage message;
    try {
      message = McpSchema.deserializeJsonRpcMessage(mapper, json);
    } catch (IOException e) {
      throw new IllegalStateException("not a JSON-RPC message from the MCP server", e);
    }
    handler.apply(Mono.just(message)).subscribe();
  }

  @Override
  public Mono<Void> closeGracefully() {
    if (sessionId == null) {
      return Mono.empty();
    }
    Future<Void> deleted = http.request(options(HttpMethod.DELETE)).compose(req -> req.send())
        .compose(HttpClientResponse::end).otherwiseEmpty();
    sessionId = null;
    return Mono.fromCompletionStage(deleted.toCompletionStage());
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return mapper.convertValue(data, typeRef);
  }

  private RequestOptions options(HttpMethod method) {
    RequestOptions options = new RequestOptions().setMethod(method).setAbsoluteURI(url);
    headers.forEach(options::putHeader);
    if (sessionId != null) {
      options.putHeader("Mcp-Session-Id", sessionId);
    }
    return options;
  }
}
