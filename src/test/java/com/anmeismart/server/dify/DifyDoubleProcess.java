package com.anmeismart.server.dify;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * The Dify double ({@link DifyDouble}) as a process of its own, for the chaos runs ({@code bench/chaos.sh}): one app
 * key whose behaviour a control port switches while the server under test keeps calling, including Dify
 * disappearing (its port refusing connections, open streams cut) and coming back on the same port.
 * <pre>
 * java -cp … com.anmeismart.server.dify.DifyDoubleProcess PORT CONTROL_PORT KEY SCENARIO [FIXED_DELAY_MS]
 * curl -X PUT http://127.0.0.1:CONTROL_PORT/scenario/PINGS_ONLY     # stall: SSE pings, never an answer
 * curl -X PUT http://127.0.0.1:CONTROL_PORT/scenario/HTTP_500       # Dify's error envelope
 * curl -X PUT http://127.0.0.1:CONTROL_PORT/down                    # gone: connection refused; /up: back
 * curl http://127.0.0.1:CONTROL_PORT/requests                       # chat requests received so far
 * </pre>
 * Prints {@code dify double ready} once both ports listen. Loopback only.
 */
public final class DifyDoubleProcess {

  private DifyDoubleProcess() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      throw new IllegalArgumentException("usage: DifyDoubleProcess PORT CONTROL_PORT KEY SCENARIO [FIXED_DELAY_MS]");
    }
    int port = Integer.parseInt(args[0]);
    int controlPort = Integer.parseInt(args[1]);
    String key = args[2];
    DifyDouble dify = new DifyDouble(port);
    dify.change(key, DifyDouble.Scenario.valueOf(args[3]));
    if (args.length > 4) {
      dify.fixedDelayMs = Long.parseLong(args[4]);
    }
    String[] current = {args[3]};
    HttpServer control = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), controlPort), 16);
    control.createContext("/scenario/", exchange -> {
      String name = exchange.getRequestURI().getPath().substring("/scenario/".length());
      int status;
      String body;
      try {
        dify.change(key, DifyDouble.Scenario.valueOf(name));
        current[0] = name;
        status = 200;
        body = name;
      } catch (IllegalArgumentException e) {
        status = 400;
        body = "unknown scenario " + name;
      }
      reply(exchange, status, body);
    });
    // Dify disappears (connection refused, open streams cut) and comes back on the same port, in this process:
    // no JVM start in between, so the fault's timing is the run's, not the machine's
    control.createContext("/down", exchange -> {
      try {
        dify.disappear();
        reply(exchange, 200, "down");
      } catch (Exception e) {
        reply(exchange, 500, e.toString());
      }
    });
    control.createContext("/up", exchange -> {
      try {
        dify.reappear();
        reply(exchange, 200, "up");
      } catch (Exception e) {
        reply(exchange, 500, e.toString());
      }
    });
    control.createContext("/requests", exchange -> reply(exchange, 200, String.valueOf(dify.requests.size())));
    control.createContext("/scenario", exchange -> reply(exchange, 200, current[0]));
    control.start();
    // the parent reads this line to know both ports listen (stdout is its pipe or log file)
    System.out.println("dify double ready on " + dify.baseUrl() + ", control port " + controlPort);
    System.out.flush();
    new CountDownLatch(1).await(); // until killed: the chaos run ends it, or kills it to make Dify disappear
  }

  private static void reply(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }
}
