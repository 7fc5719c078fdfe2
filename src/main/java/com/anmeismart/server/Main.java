package com.anmeismart.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar anmeismart-server.jar [--conf conf/<file>.json]}: runs the server until stopped. A start that
 * fails (a port in use, no database, bad config) logs why and exits with status 1.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    Path conf = null;
    for (int i = 0; i < args.length; i++) {
      if (("--conf".equals(args[i]) || "-conf".equals(args[i])) && i + 1 < args.length) {
        conf = Path.of(args[++i]);
      } else if ("--help".equals(args[i]) || "-h".equals(args[i])) {
        LOG.info("usage: java -jar anmeismart-server.jar [--conf conf/config.json]");
        return;
      } else {
        LOG.error("unknown argument '{}'; usage: java -jar anmeismart-server.jar [--conf conf/config.json]", args[i]);
        System.exit(2);
      }
    }
    App app;
    try {
      app = App.start(conf, null).toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      LOG.error("start failed: {}", cause.getMessage(), cause instanceof IllegalStateException
          || cause instanceof IllegalArgumentException ? null : cause);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      try {
        app.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("stop did not finish cleanly: {}", e.getMessage());
      }
    }, "shutdown"));
  }
}
