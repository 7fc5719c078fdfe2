package com.anmeismart.server.mcp;

import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop with other implementations, in Node ({@code src/test/mcp-node}), all against one server in one run: the
 * official TypeScript SDK 1.x client (handshake era) over Streamable HTTP and both SSE entry points, a Dify-style
 * client, the TypeScript SDK v2 client pinned to the stateless revision 2026-07-28, both eras at once, the MCP
 * Inspector CLI, and the official conformance suite for both the 2025-11-25 and 2026-07-28 requirement sets. The
 * tests run on Node 22 from the npm package {@code node} (the suite and the Inspector need it; no system install).
 * The Node dependencies come from the committed lockfile: the build installs them ({@code npm ci}); when they are
 * missing this test installs them itself the same way, and fails with the reason if it can't.
 */
class McpNodeIT {

  static final Path DIR = Path.of("src", "test", "mcp-node");
  /** Node 22, from the npm package {@code node} of the lockfile. */
  static final Path NODE = DIR.resolve("node_modules/.bin/node");
  static TestApp server;

  @BeforeAll
  static void start() throws Exception {
    ensureNodeModules();
    server = TestApp.start(null);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static void ensureNodeModules() throws Exception {
    if (Files.isExecutable(NODE) && Files.isDirectory(DIR.resolve("node_modules/@modelcontextprotocol/sdk"))
        && Files.isDirectory(DIR.resolve("node_modules/@modelcontextprotocol/client"))
        && Files.isDirectory(DIR.resolve("node_modules/@modelcontextprotocol/inspector"))
        && Files.isDirectory(DIR.resolve("node_modules/@modelcontextprotocol/conformance"))) {
      return;
    }
    Result r = run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 300);
    assertThat(r.code()).as("node_modules of %s is missing and `npm ci` failed (is Node 20 + npm installed?):%n%s",
        DIR, r.output()).isZero();
  }

  record Result(int code, String output) {
  }

  static Result run(List<String> command, Map<String, String> env, int timeoutSeconds) throws Exception {
    Path log = Files.createTempFile("mcp-node", ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    // Node 22 first on the PATH: the Inspector's launcher starts its CLI as "node"
    pb.environment().put("PATH", DIR.resolve("node_modules/.bin").toAbsolutePath() + java.io.File.pathSeparator
        + System.getenv().getOrDefault("PATH", ""));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Result(-1, "could not start " + command + ": " + e.getMessage());
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return new Result(-2, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    return new Result(p.exitValue(), out);
  }

  @Test
  void bothErasTheirClientsTheInspectorAndTheConformanceSuitesPass() throws Exception {
    String admin = server.adminToken();
    JsonObject keys = new JsonObject();
    for (Object o : server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items")) {
      JsonObject g = (JsonObject) o;
      keys.put(g.getString("name"), server.http.get("/api/v1/mcp/groups/" + g.getString("id") + "/api-key", admin)
          .json().getString("api_key"));
    }
    JsonObject a = server.register("node_a_" + UUID.randomUUID().toString().substring(0, 8),
        new JsonObject().put("full_name", "李小红").put("interests", new JsonArray().add("抗衰")));
    JsonObject b = server.register("node_b_" + UUID.randomUUID().toString().substring(0, 8), null);
    String token = new ContextTokens(server.app.vertx(), new SecretBox(TestApp.defaults(server.dataDir)
        .getString("SECRETS_KEY"))).issue(UUID.fromString(a.getString("id")), Duration.ofMinutes(10));
    Map<String, String> env = Map.of(
        "MCP_BASE", "http://127.0.0.1:" + server.port("MCP_PORT"),
        "API_BASE", "http://127.0.0.1:" + server.port("HTTP_PORT") + "/api/v1",
        "ADMIN_TOKEN", admin, "MCP_KEYS", keys.encode(),
        "USER_A", a.getString("id"), "USER_B", b.getString("id"), "TOKEN_A", token);
    Result r = run(List.of(NODE.toAbsolutePath().toString(), "--test", "--test-concurrency=1", "interop.test.mjs",
        "stateless.test.mjs", "inspector.test.mjs", "conformance.test.mjs"), env, 300);
    assertThat(r.code()).as("node tests failed:%n%s", r.output()).isZero();
    assertThat(r.output()).contains("# fail 0").contains("# pass 23");
    org.slf4j.LoggerFactory.getLogger(McpNodeIT.class).info("node tests:\n{}", r.output().lines()
        .filter(l -> l.startsWith("# ") || l.startsWith("ok ") || l.contains("Passed:")).reduce("", (x, y) -> x + y + "\n"));
  }
}
