package com.anmeismart.server.mcp;

import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code java -jar … mcp-stdio --api-key KEY}: MCP over stdin/stdout, nothing else on stdout, the group's tools. */
class McpStdioIT {

  @Test
  void stdioServesTheKeysGroupAndKeepsStdoutClean() throws Exception {
    try (TestApp server = TestApp.start(null)) {
      String admin = server.adminToken();
      String id = server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
          .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals("project_tools")).findFirst()
          .orElseThrow().getString("id");
      String key = server.http.get("/api/v1/mcp/groups/" + id + "/api-key", admin).json().getString("api_key");
      // one call per 100 s: of two tool calls, one is refused by the key's quota (-32000, data.retry_after_ms)
      assertThat(server.http.put("/api/v1/mcp/groups/" + id, new JsonObject().put("rate_per_second", 0.01)
          .put("burst", 1), admin).status()).isEqualTo(200);
      Path data = Files.createTempDirectory("stdio-data");
      Path err = Files.createTempFile("stdio", ".err");
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", System.getProperty("app.jar", "target/anmeismart-server.jar"), "mcp-stdio", "--api-key", key)
          .redirectError(err.toFile());
      pb.environment().put("PG_URL", server.pgUrl);
      pb.environment().put("DATA_DIR", data.toString());
      pb.environment().put("SECRETS_KEY", TestApp.defaults(data).getString("SECRETS_KEY"));
      Process p = pb.start();
      try {
        OutputStream in = p.getOutputStream();
        for (String line : List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"stdio-it\",\"version\":\"1\"}}}",
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"service_info\","
                + "\"arguments\":{\"keyword\":\"祛斑\"}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"user_management\","
                + "\"arguments\":{\"action\":\"list\"}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"logging/setLevel\",\"params\":{\"level\":{}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"arguments\":[]}}",
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"service_info\","
                + "\"arguments\":{\"keyword\":\"祛斑\"}}}")) {
          in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        in.flush();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> raw = new ArrayList<>();
        List<JsonObject> replies = CompletableFuture.supplyAsync(() -> {
          List<JsonObject> got = new ArrayList<>();
          try {
            String line;
            while (got.size() < 7 && (line = out.readLine()) != null) {
              got.add(new JsonObject(line)); // every stdout line must be a JSON-RPC message
              raw.add(line);
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return got;
        }).get(90, TimeUnit.SECONDS);
        assertThat(replies).as(Files.readString(err)).hasSize(7);
        // JSON-RPC answers may come in any order: read them by id
        replies.sort(java.util.Comparator.comparing(r -> r.getInteger("id")));
        assertThat(replies.get(0).getJsonObject("result").getString("protocolVersion")).isEqualTo("2025-06-18");
        assertThat(replies.get(1).getJsonObject("result").getJsonArray("tools").stream()
            .map(o -> ((JsonObject) o).getString("name")))
            .containsExactlyInAnyOrder("basic_inquiry", "service_info", "appointment_booking");
        // the two service_info calls: one answered, the other refused by the quota (whichever came second)
        JsonObject answered = replies.get(2).containsKey("result") ? replies.get(2) : replies.get(6);
        JsonObject throttled = answered == replies.get(2) ? replies.get(6) : replies.get(2);
        assertThat(answered.getJsonObject("result").getJsonArray("content").getJsonObject(0).getString("text"))
            .contains("picosecond_laser");
        assertThat(throttled.getJsonObject("error").getInteger("code")).as(throttled.encode()).isEqualTo(-32000);
        assertThat(throttled.getJsonObject("error").getJsonObject("data").getLong("retry_after_ms")).isPositive();
        assertThat(replies.get(3).getJsonObject("error").getString("message")).contains("Unknown tool");
        // invalid params: -32602 with a plain message, no Java internals
        for (JsonObject bad : List.of(replies.get(4), replies.get(5))) {
          assertThat(bad.getJsonObject("error").getInteger("code")).as(bad.encode()).isEqualTo(-32602);
          assertThat(bad.getJsonObject("error").getString("message")).startsWith("Invalid params")
              .doesNotContain("java").doesNotContain("Exception");
        }
        // the declared input schemas, byte for byte; output schemas too (2025-06-18)
        String list = raw.stream().filter(l -> l.contains("\"id\":2")).findFirst().orElseThrow();
        for (var def : com.anmeismart.server.mcp.tools.Tools.all(null, null, null, java.time.ZoneId.of("Asia/Shanghai"))) {
          if (list.contains("\"name\":\"" + def.name() + "\"")) {
            assertThat(list).as(def.name()).contains("\"inputSchema\":" + def.inputSchema().encode());
            if (def.outputSchema() != null) {
              assertThat(list).contains("\"outputSchema\":" + def.outputSchema().encode());
            }
          }
        }
        assertThat(list).doesNotContain("__absolute_uri__");
        in.close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ends when stdin closes").isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(Files.readString(err)).contains("serving group project_tools");
      } finally {
        p.destroyForcibly();
      }
    }
  }
}
