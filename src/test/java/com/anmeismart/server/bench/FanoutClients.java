package com.anmeismart.server.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of {@link FanoutBench}, in its own JVM so the server's memory is measured alone: one bridge
 * WebSocket per consultant token (raw SockJS transport, the register frame carrying the JWT), pinging like the
 * browser client. Prints {@code READY} once every socket got its presence notice, {@code DONE <conversation>} when
 * every socket got that notification, and on {@code DUMP} (stdin) writes every arrival (epoch µs) to a file, then
 * checks every notification frame and prints {@code DUMPED}, or {@code INVALID <n> frames}. Args: port, tokens file (one "id token" per line), output file.
 */
public final class FanoutClients {

  /** Found without parsing on arrival (the parse is the measuring client's cost, not the server's); checked at DUMP. */
  private static final String CONVERSATION = "\"conversation_id\":\"";
  private static final String PRESENCE = "\"type\":\"presence\"";

  private FanoutClients() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    List<String[]> consultants = Files.readAllLines(Path.of(args[1])).stream().map(l -> l.split(" ")).toList();
    Path out = Path.of(args[2]);
    int n = consultants.size();
    Vertx vertx = Vertx.vertx();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(n * 2)
        .setDefaultHost("127.0.0.1").setDefaultPort(port));
    AtomicInteger ready = new AtomicInteger();
    Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    List<String> arrivals = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String[]> frames = java.util.Collections.synchronizedList(new ArrayList<>()); // {address, conversation, frame}
    List<WebSocket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());

    // connect in waves of 50, like many browsers arriving, not one burst
    for (int i = 0; i < n; i += 50) {
      List<Future<?>> wave = new ArrayList<>();
      for (int j = i; j < Math.min(n, i + 50); j++) {
        String[] c = consultants.get(j);
        String address = "client.consultant." + c[0];
        wave.add(client.connect("/eventbus/websocket").onSuccess(ws -> {
          sockets.add(ws);
          ws.binaryMessageHandler(buf -> {
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
            String frame = buf.toString(StandardCharsets.UTF_8);
            int at = frame.indexOf(CONVERSATION);
            if (at < 0) {
              if (frame.contains(PRESENCE) && ready.incrementAndGet() == n) {
                System.out.println("READY");
              }
              return;
            }
            String conv = frame.substring(at + CONVERSATION.length(), at + CONVERSATION.length() + 36);
            arrivals.add(conv + " " + micros);
            frames.add(new String[] {address, conv, frame});
            if (received.computeIfAbsent(conv, k -> new AtomicInteger()).incrementAndGet() == n) {
              System.out.println("DONE " + conv);
            }
          });
          ws.writeTextMessage(new JsonObject().put("type", "register").put("address", address)
              .put("headers", new JsonObject().put("Authorization", "Bearer " + c[1])).encode());
        }));
      }
      Future.join(wave).toCompletionStage().toCompletableFuture().join();
    }
    vertx.setPeriodic(5_000, id -> sockets.forEach(ws -> ws.writeTextMessage("{\"type\":\"ping\"}")));

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("DUMP")) {
        long invalid;
        synchronized (frames) {
          invalid = frames.stream().filter(f -> !valid(f[0], f[1], f[2])).count();
        }
        synchronized (arrivals) {
          Files.write(out, arrivals);
        }
        System.out.println(invalid == 0 ? "DUMPED" : "INVALID " + invalid + " frames");
      } else if (line.equals("QUIT")) {
        break;
      }
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  /** A bridge frame on the consultant's own address carrying a new-customer notification for that conversation. */
  private static boolean valid(String address, String conversation, String frame) {
    JsonObject json = new JsonObject(frame);
    JsonObject body = json.getJsonObject("body");
    return address.equals(json.getString("address")) && body != null && "new_customer".equals(body.getString("type"))
        && conversation.equals(body.getString("conversation_id")) && body.getString("notification_id") != null;
  }
}
