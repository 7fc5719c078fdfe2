package com.anmeismart.server.dify;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;

import java.util.Map;

/**
 * Dify's Service API over Vert.x's HTTP client: {@code POST /chat-messages} streaming (SSE, parsed as it arrives)
 * or blocking, the stop endpoint and {@code GET /info}. Knows the protocol, not the product: deadlines, breakers
 * and fallbacks are the gateway's.
 */
final class DifyClient {

  static final int CONNECT_TIMEOUT_MS = 5_000;

  /** One SSE event: its name ({@code event:} line or the JSON's {@code event} field) and its JSON data. */
  record Event(String name, JsonObject data) {
  }

  /** A running stream: its outcome, and a way to abandon it (closes the connection). */
  interface Stream {
    Future<Void> done();

    void cancel();
  }

  private final HttpClient http;

  DifyClient(Vertx vertx) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
  }

  /**
   * Starts a streaming chat call; every event goes to {@code onEvent} in order. {@code done()} succeeds at
   * {@code message_end} and fails with a {@link DifyException} otherwise (HTTP error, error event, EOF or a
   * dropped connection without a terminal event, silence longer than the config's timeout).
   */
  Stream stream(DifyConfig config, JsonObject body, Map<String, String> headers, Handler<Event> onEvent) {
    Promise<Void> done = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    http.request(options(config, HttpMethod.POST, "/chat-messages", headers).setIdleTimeout(config.timeoutMs()))
        .onFailure(t -> done.tryFail(connectError(t)))
        .onSuccess(req -> {
          sent[0] = req;
          req.putHeader("Accept", "text/event-stream");
          req.send(body.toBuffer())
              .onFailure(t -> done.tryFail(brokenOrConnect(t)))
              .onSuccess(res -> {
                if (res.statusCode() != 200) {
                  httpError(res).onComplete(ar -> done.tryFail(ar.cause()));
                  return;
                }
                if (!String.valueOf(res.getHeader("Content-Type")).startsWith("text/event-stream")) {
                  res.body().onComplete(ar -> done.tryFail(new DifyException(DifyException.Kind.PROTOCOL, 200, null,
                      "expected text/event-stream, got " + res.getHeader("Content-Type"))));
                  return;
                }
                SseParser parser = new SseParser(event -> {
                  if (done.future().isComplete()) {
                    return;
                  }
                  if ("error".equals(event.name())) {
                    JsonObject e = event.data();
                    done.tryFail(new DifyException(DifyException.Kind.STREAM_ERROR, e.getInteger("status", 500),
                        e.getString("code"), e.getString("message", "error event")));
                    req.reset();
                    return;
                  }
                  onEvent.handle(event);
                  if ("message_end".equals(event.name())) {
                    done.tryComplete();
                  }
                });
                res.handler(parser::handle);
                res.exceptionHandler(t -> done.tryFail(brokenOrConnect(t)));
                res.endHandler(v -> done.tryFail(new DifyException(DifyException.Kind.NO_TERMINAL, 200, null,
                    "the stream ended without message_end")));
              });
        });
    return new Stream() {
      @Override
      public Future<Void> done() {
        return done.future();
      }

      @Override
      public void cancel() {
        if (sent[0] != null) {
          sent[0].reset();
        }
        done.tryFail(new DifyException(DifyException.Kind.NO_TERMINAL, 200, "cancelled", "cancelled"));
      }
    };
  }

  /** A blocking chat call (chat apps only): the JSON answer of reference/dify.md §1.3. */
  Future<JsonObject> blocking(DifyConfig config, JsonObject body, Map<String, String> headers) {
    return http.request(options(config, HttpMethod.POST, "/chat-messages", headers).setIdleTimeout(config.timeoutMs()))
        .recover(t -> Future.failedFuture(connectError(t)))
        .compose(req -> req.send(body.toBuffer()).recover(t -> Future.failedFuture(brokenOrConnect(t))))
        .compose(res -> res.statusCode() != 200 ? httpError(res) : res.body().map(b -> {
          try {
            return b.toJsonObject();
          } catch (DecodeException e) {
            throw new DifyException(DifyException.Kind.PROTOCOL, 200, null, "the answer is not JSON");
          }
        }));
  }

  /** Asks Dify to stop a task (our deadline fired); best effort. */
  Future<Void> stop(DifyConfig config, String taskId, String user) {
    return http.request(options(config, HttpMethod.POST, "/chat-messages/" + taskId + "/stop", Map.of())
            .setIdleTimeout(5_000))
        .compose(req -> req.send(new JsonObject().put("user", user).toBuffer()))
        .compose(HttpClientResponse::body)
        .mapEmpty();
  }

  /** {@code GET /info}: a cheap probe that checks the key and the app (no LLM cost). */
  Future<JsonObject> info(DifyConfig config) {
    return http.request(options(config, HttpMethod.GET, "/info", Map.of()).setIdleTimeout(5_000))
        .recover(t -> Future.failedFuture(connectError(t)))
        .compose(HttpClientRequest::send)
        .compose(res -> res.statusCode() != 200 ? httpError(res) : res.body().map(Buffer::toJsonObject));
  }

  private static RequestOptions options(DifyConfig config, HttpMethod method, String path, Map<String, String> headers) {
    RequestOptions options = new RequestOptions().setMethod(method).setAbsoluteURI(config.baseUrl() + path)
        .setConnectTimeout(CONNECT_TIMEOUT_MS)
        .putHeader("Authorization", "Bearer " + config.apiKey())
        .putHeader("Content-Type", "application/json");
    headers.forEach(options::putHeader);
    return options;
  }

  /** Dify's error envelope {@code {code, message, status}} → a classified exception. */
  private static <T> Future<T> httpError(HttpClientResponse res) {
    return res.body().otherwiseEmpty().transform(ar -> {
      String code = null;
      String message = "HTTP " + res.statusCode();
      try {
        JsonObject e = ar.result() == null ? null : ar.result().toJsonObject();
        if (e != null) {
          code = e.getString("code");
          message = e.getString("message", message);
        }
      } catch (RuntimeException notJson) {
        // keep the status alone
      }
      return Future.failedFuture(new DifyException(DifyException.Kind.HTTP, res.statusCode(), code, message));
    });
  }

  private static DifyException connectError(Throwable t) {
    return new DifyException(DifyException.Kind.CONNECT, 0, null, String.valueOf(t.getMessage()));
  }

  /** A failure after the request went out: a silence (idle timeout) or a broken connection. */
  private static DifyException brokenOrConnect(Throwable t) {
    if (t instanceof DifyException d) {
      return d;
    }
    String m = String.valueOf(t.getMessage());
    if (t instanceof io.vertx.core.http.StreamResetException || m.contains("reset")) {
      return new DifyException(DifyException.Kind.NO_TERMINAL, 200, "cancelled", "cancelled");
    }
    if (t instanceof java.util.concurrent.TimeoutException || m.contains("timeout") || m.contains("Timeout")) {
      return new DifyException(DifyException.Kind.IDLE_TIMEOUT, 0, null, "no data for too long: " + m);
    }
    if (t instanceof java.net.ConnectException) {
      return new DifyException(DifyException.Kind.CONNECT, 0, null, m);
    }
    return new DifyException(DifyException.Kind.NO_TERMINAL, 200, null, "connection broken: " + m);
  }

  /**
   * Server-sent events, line by line as they arrive: {@code data:} lines accumulate, {@code event:} names the
   * event, a blank line dispatches it. Dify sends {@code data: <json>} events and bare {@code event: ping}.
   */
  static final class SseParser {
    private final RecordParser lines;
    private final StringBuilder data = new StringBuilder();
    private String name;

    SseParser(Handler<Event> sink) {
      this.lines = RecordParser.newDelimited("\n", line -> {
        String s = line.toString(java.nio.charset.StandardCharsets.UTF_8);
        if (s.endsWith("\r")) {
          s = s.substring(0, s.length() - 1);
        }
        if (s.isEmpty()) {
          dispatch(sink);
        } else if (s.startsWith("data:")) {
          data.append(data.length() > 0 ? "\n" : "").append(s.substring(s.startsWith("data: ") ? 6 : 5));
        } else if (s.startsWith("event:")) {
          name = s.substring(6).strip();
        }
        // comments (":") and other fields (id, retry) carry nothing Dify uses
      });
    }

    void handle(Buffer chunk) {
      lines.handle(chunk);
    }

    private void dispatch(Handler<Event> sink) {
      if (data.length() == 0 && name == null) {
        return;
      }
      JsonObject json;
      try {
        json = data.length() == 0 ? new JsonObject() : new JsonObject(data.toString());
      } catch (DecodeException e) {
        json = new JsonObject().put("raw", data.toString());
      }
      String event = json.getString("event", name != null ? name : "message");
      data.setLength(0);
      name = null;
      sink.handle(new Event(event, json));
    }
  }
}
