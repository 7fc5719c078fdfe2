package com.anmeismart.server.testing;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A raw event-bus bridge client over the SockJS WebSocket transport ({@code /eventbus/websocket}): each WebSocket
 * text frame is one bridge frame, so tests can send exactly the frames they mean, headers included, and see every
 * frame the server sends back ({@code rec}, {@code err}; the transport sends them as binary messages). Pings like the browser client, so the bridge's idle
 * timeout doesn't close it. JDK WebSocket only, independent of the product's code.
 */
public final class BridgeClient implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ScheduledExecutorService PINGER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bridge-client-ping");
    t.setDaemon(true);
    return t;
  });

  public final List<JsonObject> frames = new CopyOnWriteArrayList<>();
  private final WebSocket ws;
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final ScheduledFuture<?> ping;

  private BridgeClient(int port) {
    StringBuilder text = new StringBuilder();
    java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/eventbus/websocket"), new WebSocket.Listener() {
          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              frames.add(new JsonObject(text.toString()));
              text.setLength(0);
            }
            socket.request(1);
            return null;
          }

          /**
           * The raw WebSocket transport writes the bridge's frames as binary messages; the bytes are decoded once
           * the message is whole (a fragment may end inside a multi-byte character).
           */
          @Override
          public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            binary.writeBytes(bytes);
            if (last) {
              frames.add(new JsonObject(binary.toString(StandardCharsets.UTF_8)));
              binary.reset();
            }
            socket.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
          }

          @Override
          public void onError(WebSocket socket, Throwable error) {
            closed.complete(-1);
          }
        }).join();
    ping = PINGER.scheduleAtFixedRate(() -> send(new JsonObject().put("type", "ping")), 4, 4, TimeUnit.SECONDS);
  }

  public static BridgeClient connect(int port) {
    return new BridgeClient(port);
  }

  /** A register frame for {@code address}, with the token as its Authorization header (none when null). */
  public BridgeClient register(String address, String token) {
    return send(frame("register", address, token));
  }

  public BridgeClient unregister(String address, String token) {
    return send(frame("unregister", address, token));
  }

  public static JsonObject frame(String type, String address, String token) {
    JsonObject f = new JsonObject().put("type", type).put("address", address);
    if (token != null) {
      f.put("headers", new JsonObject().put("Authorization", "Bearer " + token));
    }
    return f;
  }

  public synchronized BridgeClient send(JsonObject frame) {
    return sendText(frame.encode());
  }

  /** Any text as one WebSocket message, JSON or not (fuzzing); nothing once the socket is closed. */
  public synchronized BridgeClient sendText(String text) {
    if (!closed.isDone()) {
      try {
        ws.sendText(text, true).join();
      } catch (java.util.concurrent.CompletionException e) {
        // the server closed the socket meanwhile (e.g. a frame over the size limit): isClosed() tells
      }
    }
    return this;
  }

  /** The close code the server sent, once it closed the socket (-1 for an abrupt close). */
  public Integer closeCode() {
    return closed.getNow(null);
  }

  /** The first received frame matching, waiting up to {@code timeout}. */
  public JsonObject await(Duration timeout, String what, Predicate<JsonObject> match) {
    return Poll.until(timeout, what, () -> frames.stream().filter(match).findFirst().orElse(null));
  }

  /** A message delivered on {@code address} whose body has {@code type}. */
  public JsonObject awaitBody(String address, String type) {
    return await(Duration.ofSeconds(10), type + " on " + address, f -> "rec".equals(f.getString("type"))
        && address.equals(f.getString("address")) && f.getValue("body") instanceof JsonObject b
        && type.equals(b.getString("type"))).getJsonObject("body");
  }

  /**
   * Waits until this socket's registration on {@code address} is in place: publishes probes on the server's bus
   * until one arrives (a register frame has no acknowledgement in the bridge protocol).
   */
  public void awaitListening(io.vertx.core.eventbus.EventBus serverBus, String address) {
    Poll.until(Duration.ofSeconds(10), "listening on " + address, () -> {
      serverBus.publish(address, new JsonObject().put("type", "listening-probe"));
      return count(f -> "rec".equals(f.getString("type")) && address.equals(f.getString("address"))
          && f.getValue("body") instanceof JsonObject b && "listening-probe".equals(b.getString("type"))) > 0;
    });
  }

  /** The n-th error frame ({@code {"type":"err","body":...}}), 1-based. */
  public String awaitError(int n) {
    return Poll.until(Duration.ofSeconds(10), n + " error frame(s)", () -> {
      List<JsonObject> errs = frames.stream().filter(f -> "err".equals(f.getString("type"))).toList();
      return errs.size() >= n ? errs.get(n - 1).getString("body") : null;
    });
  }

  public long count(Predicate<JsonObject> match) {
    return frames.stream().filter(match).count();
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Drops the TCP connection without a close handshake: an abrupt disconnect. */
  public void abort() {
    ping.cancel(false);
    ws.abort();
  }

  @Override
  public void close() {
    ping.cancel(false);
    if (!closed.isDone()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(t -> null);
      ws.abort();
    }
  }
}
