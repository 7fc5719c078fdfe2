package com.anmeismart.server;

import com.anmeismart.server.mcp.McpStdio;
import com.anmeismart.server.ops.IdleMemory;
import com.anmeismart.server.ops.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar anmeismart-server.jar [--conf conf/<file>.json]}: runs the server until stopped. A start that
 * fails (a port in use, no database, bad config) logs why and exits with status 1.
 * {@code … mcp-stdio --api-key KEY [--conf file]} runs only the MCP server, over stdin/stdout (see {@link McpStdio}).
 */
public final class Main {

  /** Looked up on first use, not at class load: stdio mode must point logging at stderr first. */
  private static Logger log() {
    return LoggerFactory.getLogger(Main.class);
  }

  private Main() {
  }

  public static void main(String[] args) {
    LogFormat.prepare();
    if (args.length > 0 && "mcp-stdio".equals(args[0])) {
      System.exit(stdio(args));
      return;
    }
    Logger log = log();
    Path conf = null;
    for (int i = 0; i < args.length; i++) {
      if (("--conf".equals(args[i]) || "-conf".equals(args[i])) && i + 1 < args.length) {
        conf = Path.of(args[++i]);
      } else if ("--help".equals(args[i]) || "-h".equals(args[i])) {
        log.info("usage: java -jar anmeismart-server.jar [--conf conf/config.json]");
        return;
      } else {
        log.error("unknown argument '{}'; usage: java -jar anmeismart-server.jar [--conf conf/config.json]", args[i]);
        System.exit(2);
      }
    }
    App app;
    try {
      app = App.start(conf, null).toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      log.error("start failed: {}", cause.getMessage(), cause instanceof IllegalStateException
          || cause instanceof IllegalArgumentException ? null : cause);
      System.exit(1);
      return;
    }
    Map<String, String> idle = IdleMemory.apply();
    if (!idle.isEmpty()) {
      log.info("idle memory: G1 flags {} (an idle server returns unused heap to the OS)", idle);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping");
      try {
        app.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("stop did not finish cleanly: {}", e.getMessage());
      }
    }, "shutdown"));
  }

  /** stdout belongs to the MCP messages: logging (logback.xml reads LOG_TARGET) and stray prints go to stderr. */
  private static int stdio(String[] args) {
    System.setProperty("LOG_TARGET", "System.err");
    PrintStream mcpOut = System.out;
    System.setOut(System.err);
    Path conf = null;
    String key = System.getenv("MCP_API_KEY");
    for (int i = 1; i < args.length; i++) {
      if ("--api-key".equals(args[i]) && i + 1 < args.length) {
        key = args[++i];
      } else if (("--conf".equals(args[i]) || "-conf".equals(args[i])) && i + 1 < args.length) {
        conf = Path.of(args[++i]);
      } else {
        log().error("unknown argument '{}'; usage: java -jar anmeismart-server.jar mcp-stdio --api-key KEY "
            + "[--conf conf/config.json]", args[i]);
        return 2;
      }
    }
    return McpStdio.run(conf, key, System.in, mcpOut);
  }
}
