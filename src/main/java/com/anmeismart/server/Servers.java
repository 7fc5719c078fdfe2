package com.anmeismart.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.shareddata.LocalMap;

import java.net.BindException;

/**
 * Binding the server's ports: a clear message when a port is taken, and the port actually bound recorded (and
 * logged by the launcher), which matters when the configured port is 0.
 */
public final class Servers {

  private static final String PORTS_MAP = "anmeismart.ports";

  private Servers() {
  }

  /**
   * Listens on {@code port} for the setting {@code key} (e.g. {@code HTTP_PORT}). Port 0 becomes Vert.x's shared
   * random port (a negative value), so several instances of one verticle still share one port.
   */
  public static Future<HttpServer> listen(Vertx vertx, HttpServer server, String key, int port) {
    return listen(vertx, server, key, port, "0.0.0.0");
  }

  /** As {@link #listen(Vertx, HttpServer, String, int)}, on one interface (e.g. loopback for in-process peers). */
  public static Future<HttpServer> listen(Vertx vertx, HttpServer server, String key, int port, String host) {
    int bindPort = port == 0 ? -(1 + Math.abs(key.hashCode() % 1000)) : port;
    return server.listen(bindPort, host)
        .recover(t -> Future.failedFuture(bindFailure(key, port, t)))
        .onSuccess(s -> ports(vertx).put(key, s.actualPort()));
  }

  /** The ports bound so far, by setting name. */
  public static LocalMap<String, Integer> ports(Vertx vertx) {
    return vertx.sharedData().getLocalMap(PORTS_MAP);
  }

  private static Throwable bindFailure(String key, int port, Throwable t) {
    Throwable cause = t;
    while (cause != null && !(cause instanceof BindException)) {
      cause = cause.getCause();
    }
    String why = cause != null || String.valueOf(t.getMessage()).contains("in use")
        ? "is already in use" : "could not be bound (" + t.getMessage() + ")";
    return new IllegalStateException(key + "=" + port + ": port " + port + " " + why
        + "; stop the other process or set " + key + " to a free port (0 picks one)", t);
  }
}
