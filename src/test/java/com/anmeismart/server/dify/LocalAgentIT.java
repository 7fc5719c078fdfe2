package com.anmeismart.server.dify;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default run end to end: no Dify config, so the local agent writes the welcome, reading the customer through
 * this server's real MCP endpoint (welcome group key, context token) like Dify would.
 */
class LocalAgentIT {

  static TestApp server;
  static Db db;
  /** {@code /metrics} the moment the start (which includes the warm-up) completed, before any test acted. */
  static String metricsAtStart;
  static long rowsAtStart;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    db = server.db();
    metricsAtStart = server.metrics();
    rowsAtStart = db.count("SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM messages) "
        + "+ (SELECT count(*) FROM automation_jobs) + (SELECT count(*) FROM notifications)");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void theWelcomeNamesTheCustomerAndAnInterestAndTheMcpCallsAreLogged() {
    String username = "la_" + UUID.randomUUID().toString().substring(0, 8);
    UUID userId = UUID.fromString(server.register(username, new JsonObject().put("full_name", "李晓雨")
        .put("interests", new JsonArray().add("补水").add("祛斑")).put("source", "xiaohongshu")).getString("id"));
    Map<String, Object> job = Poll.until(Duration.ofSeconds(20), "job succeeded", () ->
        db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'", userId));
    Map<String, Object> welcome = db.one("SELECT content, metadata::text AS metadata FROM messages "
        + "WHERE conversation_id = ? AND kind = 'welcome'", job.get("conversation_id"));
    String content = (String) welcome.get("content");
    JsonObject metadata = new JsonObject((String) welcome.get("metadata"));
    assertThat(metadata.getString("source")).as(content).isEqualTo("local-agent");
    assertThat(metadata.getString("config_id")).isEqualTo("local-agent");
    // the name and interests came from get_user_profile, the service from service_info, the source from the profile
    assertThat(content).contains("李晓雨").contains("「补水」").contains("小红书").contains("「")
        .doesNotContain("tool invoke error");

    // the call log is written in batches, off the calls' path
    Poll.until(Duration.ofSeconds(10), "both MCP calls logged with the welcome group", () -> db.count(
        "SELECT count(DISTINCT l.tool_name) FROM mcp_call_logs l JOIN mcp_tool_groups g ON g.id = l.group_id "
            + "WHERE g.name = 'welcome_tools' AND l.success "
            + "AND l.tool_name IN ('get_user_profile', 'service_info')") == 2);
    assertThat(db.count("SELECT count(*) FROM mcp_call_logs l JOIN mcp_tool_groups g ON g.id = l.group_id "
        + "WHERE g.name <> 'welcome_tools'")).as("the agent uses the welcome group only").isZero();
  }

  /**
   * Registers a customer with that name and returns the stored welcome once the job succeeded, after checking that
   * the agent read this customer's profile through MCP (a failed read would still give a welcome, from the inputs).
   */
  static String welcomeOf(String fullName) {
    UUID userId = UUID.fromString(server.register("la_" + UUID.randomUUID().toString().substring(0, 8),
        new JsonObject().put("full_name", fullName).put("interests", new JsonArray().add("补水"))).getString("id"));
    Map<String, Object> job = Poll.until(Duration.ofSeconds(20), "job succeeded", () ->
        db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'", userId));
    Poll.until(Duration.ofSeconds(10), "the profile read logged", () -> db.count("SELECT count(*) FROM mcp_call_logs "
        + "WHERE tool_name = 'get_user_profile' AND success AND request_data->>'user_id' = ?", userId.toString()) == 1);
    return (String) db.one("SELECT content FROM messages WHERE conversation_id = ? AND kind = 'welcome'",
        job.get("conversation_id")).get("content");
  }

  @Test
  void eachToolCallIsItsOwnSessionForItsCustomerAcrossAKeyRotationAndAnMcpRestart() {
    // several customers: each welcome reads its own customer (the context token of its session)
    assertThat(welcomeOf("王一一")).contains("王一一").contains("「补水」");
    assertThat(welcomeOf("赵二二")).contains("赵二二").doesNotContain("王一一");

    // a rotated key: the agent reads the new key for its next session
    String admin = server.adminToken();
    String group = server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals("welcome_tools")).findFirst().orElseThrow()
        .getString("id");
    assertThat(server.http.post("/api/v1/mcp/groups/" + group + "/regenerate-key", new JsonObject(), admin).status())
        .isEqualTo(200);
    assertThat(welcomeOf("孙三三")).contains("孙三三").contains("「补水」");

    // the MCP part restarted on another port: the next sessions go there
    int before = server.port("MCP_PORT");
    server.app.undeploy("McpVerticle").toCompletionStage().toCompletableFuture().join();
    server.app.deploy("McpVerticle").toCompletionStage().toCompletableFuture().join();
    assertThat(server.port("MCP_PORT")).isNotEqualTo(before);
    assertThat(welcomeOf("周四四")).contains("周四四").contains("「补水」");
    assertThat(db.count("SELECT count(*) FROM mcp_call_logs WHERE NOT success")).isZero();
    // like Dify, the agent ends each session (DELETE): none is left open on the server
    Poll.until(Duration.ofSeconds(10), "no MCP session left open", () -> server.metrics().contains("mcp_sessions{transport=\"streamable_http\"} 0.0"));
  }

  /**
   * The start ran the welcome path once (dify/WarmUp: the agent's MCP sessions, the gateway's streamed call), so the
   * first customer after a restart doesn't pay for a cold JVM; it wrote nothing and counted no tool call or welcome.
   */
  @Test
  void theWarmUpAtStartRanTheWelcomePathAndLeftNoTrace() {
    assertThat(metricValue(metricsAtStart, "mcp_requests_total{era=\"handshake\"}"))
        .as("the warm-up's MCP sessions reached the server before the start completed").isGreaterThanOrEqualTo(6);
    assertThat(metricsAtStart).as("no tool call counted").doesNotContain("mcp_tool_calls_seconds_count{")
        .as("no welcome counted").doesNotContain("dify_welcomes_total{").doesNotContain("dify_first_text_seconds_count{");
    assertThat(rowsAtStart).as("no conversation, message, job or notification").isZero();
    // the call log is written in batches: once a later call's row is in, any warm-up row would be too
    welcomeOf("吴五五");
    assertThat(db.count("SELECT count(*) FROM mcp_call_logs WHERE subject_user_id = '00000000-0000-0000-0000-000000000000'"
        + " OR subject_user_id IS NULL")).as("no call-log row without a customer").isZero();
  }

  private static double metricValue(String metrics, String series) {
    return metrics.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(
        l.substring(series.length() + 1).trim())).findFirst().orElse(0);
  }

  @Test
  void theLocalAgentSpeaksDifysApi() {
    int port = server.port("LOCAL_AGENT_PORT");
    Http agent = new Http("http://127.0.0.1:" + port);
    Http.Res noKey = agent.post("/v1/chat-messages", new JsonObject(), null);
    assertThat(noKey.status()).isEqualTo(401);
    assertThat(noKey.json().getString("code")).isEqualTo("unauthorized");
    assertThat(noKey.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"api\"");
  }
}
