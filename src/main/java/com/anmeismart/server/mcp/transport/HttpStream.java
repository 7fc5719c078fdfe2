package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransport;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * One HTTP response as an SDK transport: the answer stream of a POSTed request, the listening stream of a GET, or
 * a legacy SSE connection. The SDK calls it on Reactor or database threads; every write goes to the response
 * through the request's own Vert.x context, in order.
 * <p>
 * A POSTed request whose first outgoing message is its own response is answered as one {@code application/json}
 * body (the spec lets the server choose; it is what Dify and most clients handle best, and cheaper than SSE);
 * anything sent before the response (a progress notification, a request to the client) switches the answer to
 * {@code text/event-stream}.
 */
final class HttpStream implements McpStreamableServerTransport, McpServerTransport {

  private enum Mode { UNDECIDED, JSON, SSE }

  private final Vertx vertx;
  private final Context context;
  private final HttpServerResponse res;
  private final McpJsonMapper mapper;
  /** The id of the request this stream answers, or null for a listening/legacy stream. */
  private final Object requestId;
  private final long keepAliveMs;
  private final Outgoing out;
  private Mode mode = Mode.UNDECIDED;
  private long keepAlive = -1;

  /** @param out the session's outgoing rules (revision-dependent fields, internal errors) */
  HttpStream(Vertx vertx, Context context, HttpServerResponse res, McpJsonMapper mapper, Object requestId,
             long keepAliveMs, Outgoing out) {
    this.vertx = vertx;
    this.out = out;
    this.context = context;
    this.res = res;
    this.mapper = mapper;
    this.requestId = requestId;
    this.keepAliveMs = keepAliveMs;
  }

  /** Opens the response as an event stream now (GET streams, legacy SSE) and starts the keep-alive comments. */
  void startSse() {
    onContext(this::sseHeaders);
  }

  /** Writes a raw SSE event (the legacy transport's {@code endpoint} event). */
  void event(String name, String data) {
    onContext(() -> {
      if (!res.ended() && !res.closed()) {
        res.write("event: " + name + "\ndata: " + data + "\n\n");
      }
    });
  }

  @Override
  public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
    return sendMessage(message, null);
  }

  @Override
  public Mono<Void> sendMessage(McpSchema.JSONRPCMessage original, String messageId) {
    McpSchema.JSONRPCMessage message = out.rewrite(original);
    byte[] json; // UTF-8 straight from the mapper: no String in between to encode again
    try {
      json = mapper.writeValueAsBytes(message);
    } catch (IOException e) {
      return Mono.error(new UncheckedIOException(e));
    }
    boolean ownResponse = requestId != null && message instanceof McpSchema.JSONRPCResponse r
        && Objects.equals(String.valueOf(r.id()), String.valueOf(requestId));
    // a quota refusal answered as one JSON body gets HTTP 429 and Retry-After (see Throttled)
    long throttled = ownResponse && ((McpSchema.JSONRPCResponse) message).error() != null
        ? Throttled.retryAfterMs(((McpSchema.JSONRPCResponse) message).error().code(),
            ((McpSchema.JSONRPCResponse) message).error().data()) : -1;
    if (Vertx.currentContext() == context) {
      write(json, messageId, ownResponse, throttled);
      return Mono.empty();
    }
    return Mono.create(sink -> context.runOnContext(v -> {
      write(json, messageId, ownResponse, throttled);
      sink.success();
    }));
  }

  private void write(byte[] json, String messageId, boolean ownResponse, long throttledMs) {
    if (res.ended() || res.closed()) {
      return;
    }
    if (mode == Mode.UNDECIDED && ownResponse) {
      mode = Mode.JSON;
      if (throttledMs >= 0) {
        res.setStatusCode(429).putHeader("Retry-After", Long.toString(Throttled.retryAfterSeconds(throttledMs)));
      } else {
        res.setStatusCode(200);
      }
      res.putHeader("Content-Type", "application/json").end(Buffer.buffer(json));
      return;
    }
    if (mode != Mode.SSE) {
      sseHeaders();
    }
    Buffer event = Buffer.buffer(json.length + 64);
    if (messageId != null) {
      event.appendString("id: ").appendString(messageId).appendString("\n");
    }
    // compact JSON has no raw line breaks, so one data: line carries the whole message
    event.appendString("event: message\ndata: ").appendBytes(json).appendString("\n\n");
    res.write(event);
    if (ownResponse) {
      end();
    }
  }

  private void sseHeaders() {
    if (mode == Mode.SSE || res.ended() || res.closed()) {
      return;
    }
    mode = Mode.SSE;
    res.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
    res.write(": stream open\n\n");
    // A comment line every few seconds keeps proxies and idle timeouts from closing a quiet stream.
    keepAlive = vertx.setPeriodic(keepAliveMs, id -> {
      if (res.ended() || res.closed()) {
        vertx.cancelTimer(id);
      } else {
        res.write(": ping\n\n");
      }
    });
  }

  private void end() {
    if (keepAlive >= 0) {
      vertx.cancelTimer(keepAlive);
      keepAlive = -1;
    }
    if (!res.ended() && !res.closed()) {
      if (mode == Mode.UNDECIDED) {
        res.setStatusCode(202);
      }
      res.end();
    }
  }

  private void onContext(Runnable r) {
    if (Vertx.currentContext() == context) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return mapper.convertValue(data, typeRef);
  }

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.fromRunnable(this::close);
  }

  @Override
  public void close() {
    onContext(this::end);
  }
}
