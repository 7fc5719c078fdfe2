package com.anmeismart.server.mcp;

import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.config.ConfigLoader;
import com.anmeismart.server.config.LocalSecrets;
import com.anmeismart.server.db.Database;
import com.anmeismart.server.mcp.tools.Tools;
import com.anmeismart.server.mcp.transport.StdioMapper;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar anmeismart-server.jar mcp-stdio --api-key KEY [--conf file]}: the MCP server over stdio for a
 * local MCP client, with the tools of the key's group and the same guard, database and call log as the HTTP
 * server. No HTTP server starts. stdout carries only MCP messages; logs go to stderr. It ends when stdin closes.
 * With the embedded database it needs the data directory to itself: point {@code PG_URL} at the running server's
 * PostgreSQL to share one.
 */
public final class McpStdio {

  private static final long RELOAD_MS = 5_000;

  private McpStdio() {
  }

  /** @return the process exit status */
  public static int run(Path conf, String apiKey, InputStream in, OutputStream out) {
    Logger log = LoggerFactory.getLogger(McpStdio.class);
    if (apiKey == null || apiKey.isBlank()) {
      log.error("mcp-stdio needs --api-key KEY (or the MCP_API_KEY environment variable)");
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    Database database = null;
    try {
      AppConfig config = LocalSecrets.resolve(ConfigLoader.load(vertx, conf, null).toCompletionStage()
          .toCompletableFuture().get(30, TimeUnit.SECONDS));
      database = Database.open(config);
      database.migrate();
      Pool pool = database.pool(vertx);
      SecretBox box = new SecretBox(config.secretsKey());
      McpKeys keys = new McpKeys(pool, box);
      McpStore store = new McpStore(pool);
      GroupRegistry registry = new GroupRegistry(store, keys);
      await(store.ensureKeys(keys).compose(n -> registry.reload()));
      McpGroup group = registry.byKey(apiKey.strip());
      if (group == null || !group.enabled()) {
        log.error("mcp-stdio: {}", group == null ? "invalid API key" : "this tool group is disabled");
        return 2;
      }
      McpMetrics metrics = new McpMetrics(new SimpleMeterRegistry());
      CallLog callLog = new CallLog(vertx, store::insertCallLogs, metrics);
      callLog.start();
      ToolRunner runner = new ToolRunner(vertx, registry, Tools.all(pool, vertx.eventBus(), box, config.timeZone()),
          new ContextTokens(vertx, box), callLog, metrics);
      vertx.setPeriodic(RELOAD_MS, id -> registry.reload());
      CountDownLatch eof = new CountDownLatch(1);
      StdioMapper mapper = new StdioMapper(McpJsonDefaults.getMapper());
      StdioServerTransportProvider transport = new StdioServerTransportProvider(mapper, new EofSignal(in, eof), out);
      String key = apiKey.strip();
      // Every call re-reads the key's group: a rotated key or a disabled group stops this process's tools too.
      McpAsyncServer server = McpServers.stdio(transport, mapper, runner, McpServers.published(runner.definitions()),
          ctx -> {
            McpGroup g = registry.byKey(key);
            return g == null || !g.enabled() ? null : g.id();
          });
      log.info("mcp-stdio: serving group {} on stdin/stdout", group.name());
      eof.await();
      server.closeGracefully().block(); // the CLI's main thread, like eof.await(): no event loop here
      await(callLog.close());
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (Exception e) {
      log.error("mcp-stdio failed: {}", e.getMessage());
      return 1;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null)
          .join();
      if (database != null) {
        database.close();
      }
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** stdin that counts down a latch at end of input, so the process can stop when its client goes away. */
  private static final class EofSignal extends FilterInputStream {
    private final CountDownLatch eof;

    EofSignal(InputStream in, CountDownLatch eof) {
      super(in);
      this.eof = eof;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b < 0) {
        eof.countDown();
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n < 0) {
        eof.countDown();
      }
      return n;
    }
  }
}
