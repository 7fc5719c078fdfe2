package com.anmeismart.server.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
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
 * checks every notification frame and prints {@code DUMPED}, or {@code INVALID <n> frames}. Like the consultant page,
 * each client acknowledges each notification at once ({@code POST /notifications/{id}/delivered}) and the time the
 * acknowledgement's 200 came back is written next to the arrivals ({@code <output>.acks}), unless the fourth argument
 * is {@code no-ack} (pages that never acknowledge: the alert ladder's case). Args: port, tokens file (one "id token" per
 * line), output file, [ack|no-ack].
 */
public final class FanoutClients {

  /** Found without parsing on arrival (the parse is the measuring client's cost, not the server's); checked at DUMP. */
  private static final String CONVERSATION = "\"conversation_id\":\"";
  private static final String PRESENCE = "\"type\":\"presence\"";
  private static final String NOTIFICATION = "\"notification_id\":\"";

  private FanoutClients() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    List<String[]> consultants = Files.readAllLines(Path.of(args[1])).stream().map(l -> l.split(" ")).toList();
    Path out = Path.of(args[2]);
    boolean ack = args.length < 4 || !args[3].equals("no-ack");
    int n = consultants.size();
    Vertx vertx = Vertx.vertx();
    // a browser has its own connections; 256 here keep the acknowledgements from queueing on the client side
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(256));
    List<String> acks = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ackFailures = new AtomicInteger();
    AtomicInteger ackSent = new AtomicInteger();
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(n * 2)
        .setDefaultHost("127.0.0.1").setDefaultPort(port));
    AtomicInteger ready = new AtomicInteger();
    Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    List<String> arrivals = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String[]> frames = java.util.Collections.synchronizedList(new ArrayList<>()); // {address, conversation, frame}
    List<WebSocket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());

    // pings from the start, as each browser pings from its own connect: a slow connect phase (a loaded machine) must
    // not let the first sockets go idle and be closed by the bridge
    vertx.setPeriodic(5_000, id -> {
      synchronized (sockets) {
        sockets.forEach(ws -> ws.writeTextMessage("{\"type\":\"ping\"}"));
      }
    });
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
            int nid = frame.indexOf(NOTIFICATION);
            if (ack && nid >= 0) {
              String id = frame.substring(nid + NOTIFICATION.length(), nid + NOTIFICATION.length() + 36);
              ackSent.incrementAndGet();
              http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/v1/notifications/" + id
                      + "/delivered").putHeader("Authorization", "Bearer " + c[1]))
                  .compose(req -> req.send()).compose(res -> res.body().map(res.statusCode()))
                  .onSuccess(status -> {
                    if (status == 200) {
                      acks.add(conv + " " + ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()));
                    } else {
                      ackFailures.incrementAndGet();
                    }
                  })
                  .onFailure(t -> ackFailures.incrementAndGet());
            }
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

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("DUMP")) {
        // the last round's acknowledgements may still be on their way
        for (long end = System.nanoTime() + 30_000_000_000L;
             acks.size() + ackFailures.get() < ackSent.get() && System.nanoTime() < end; ) {
          Thread.sleep(50);
        }
        long invalid;
        synchronized (frames) {
          invalid = frames.stream().filter(f -> !valid(f[0], f[1], f[2])).count();
        }
        synchronized (arrivals) {
          Files.write(out, arrivals);
        }
        synchronized (acks) {
          Files.write(Path.of(out + ".acks"), acks);
        }
        System.out.println(invalid > 0 ? "INVALID " + invalid + " frames"
            : ackFailures.get() > 0 ? "INVALID " + ackFailures.get() + " acknowledgements failed" : "DUMPED");
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
