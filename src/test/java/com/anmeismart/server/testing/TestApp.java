package com.anmeismart.server.testing;

import com.anmeismart.server.App;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * A real server for a test: its own database on the shared test PostgreSQL, every port picked free, a known admin.
 * Tests talk to it over real HTTP through {@link #http}.
 */
public final class TestApp implements AutoCloseable {

  public static final String ADMIN = "root_admin";
  public static final String ADMIN_PASSWORD = "admin-test-password";

  public final App app;
  public final Http http;
  public final String pgUrl;
  public final Path dataDir;

  private TestApp(App app, String pgUrl, Path dataDir) {
    this.app = app;
    this.pgUrl = pgUrl;
    this.dataDir = dataDir;
    this.http = new Http("http://127.0.0.1:" + app.port("HTTP_PORT"));
  }

  /** A server on a new database; {@code extra} overrides any setting. */
  public static TestApp start(JsonObject extra) {
    return start(TestPg.newDatabase(), extra);
  }

  /** A server on an existing database (a restart, a second engine). */
  public static TestApp start(String pgUrl, JsonObject extra) {
    try {
      Path dataDir = Files.createTempDirectory("anmei-test-data");
      JsonObject conf = defaults(dataDir).put("PG_URL", pgUrl);
      if (extra != null) {
        conf.mergeIn(extra);
      }
      App app = App.start(null, conf).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      return new TestApp(app, conf.getString("PG_URL"), dataDir);
    } catch (Exception e) {
      throw new IllegalStateException("test server failed to start", e);
    }
  }

  /** Settings every test server shares: free ports, fixed secrets (so tokens can be forged on purpose), an admin. */
  public static JsonObject defaults(Path dataDir) {
    return new JsonObject()
        .put("HTTP_PORT", "0").put("MCP_PORT", "0").put("MANAGEMENT_PORT", "0").put("LOCAL_AGENT_PORT", "0")
        .put("DATA_DIR", dataDir.toString())
        .put("JWT_SECRET", "test-jwt-secret-0123456789abcdef0123456789")
        .put("SECRETS_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
        .put("ADMIN_USERNAME", ADMIN).put("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .put("AUTH_RATE_LIMIT_PER_MINUTE", "100000")
        .put("PASSWORD_HASH_THREADS", "2").put("HTTP_INSTANCES", "2")
        .put("AUTOMATION_SWEEP_MS", "200");
  }

  public int port(String key) {
    return app.port(key);
  }

  /** This server's instance number (its PostgreSQL advisory lock, {@code db/InstanceLock}). */
  public int instance() {
    try {
      return app.context().database().instanceLock(app.vertx()).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS).number();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public Http management() {
    return new Http("http://127.0.0.1:" + app.port("MANAGEMENT_PORT"));
  }

  /**
   * The {@code /metrics} text without the {@code node} label every metric carries (this server's NODE_NAME), so an
   * assertion reads as the series of one node: {@code x_total{outcome="success"} 3.0}. ClusterNodeIT checks the
   * label itself.
   */
  public String metrics() {
    return management().get("/metrics", null).body().replaceAll("node=\"[^\"]*\",?", "").replace(",}", "}")
        .replace("{}", "");
  }

  public Db db() {
    return new Db(pgUrl);
  }

  public Connection jdbc() throws SQLException {
    return TestPg.jdbc(pgUrl);
  }

  /** Registers a customer with the given username (email derived); returns the user JSON. */
  public io.vertx.core.json.JsonObject register(String username, io.vertx.core.json.JsonObject extra) {
    JsonObject body = new JsonObject().put("username", username).put("email", username + "@example.com")
        .put("password", "correct-horse");
    if (extra != null) {
      body.mergeIn(extra);
    }
    var res = http.post("/api/v1/auth/register", body, null);
    if (res.status() != 201) {
      throw new IllegalStateException("register failed: " + res.status() + " " + res.body());
    }
    return res.json();
  }

  /** Logs in and returns the bearer token. */
  public String login(String usernameOrEmail, String password) {
    var res = http.post("/api/v1/auth/login", new JsonObject().put("username_or_email", usernameOrEmail)
        .put("password", password), null);
    if (res.status() != 200) {
      throw new IllegalStateException("login failed: " + res.status() + " " + res.body());
    }
    return res.json().getString("access_token");
  }

  public String adminToken() {
    return login(ADMIN, ADMIN_PASSWORD);
  }

  @Override
  public void close() {
    try {
      app.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
