package com.anmeismart.server.mcp;

import com.anmeismart.server.mcp.tools.Schema;
import com.anmeismart.server.mcp.tools.ToolDef;
import com.anmeismart.server.mcp.tools.ToolError;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The tool guard on its own: no database, no transport. Groups from a configuration put in force directly, real
 * context tokens, real timers; the call log's batches caught at its sink, the metrics in a simple registry.
 */
@ExtendWith(VertxExtension.class)
class ToolRunnerTest {

  private static final String SECRETS = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  private static final UUID STAFF = UUID.randomUUID();
  private static final UUID WELCOME = UUID.randomUUID();
  private static final UUID OFF = UUID.randomUUID();

  private Vertx vertx;
  private GroupRegistry registry;
  private ContextTokens tokens;
  private CallLog callLog;
  private SimpleMeterRegistry meters;
  private final List<Tuple> logged = new ArrayList<>();
  private ToolRunner runner;
  /** What the last handler call saw: its arguments and the user its context token limits it to. */
  private JsonObject seenArgs;
  private UUID seenUser;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    SecretBox box = new SecretBox(SECRETS);
    registry = new GroupRegistry(null, new McpKeys(null, box));
    tokens = new ContextTokens(vertx, box);
    meters = new SimpleMeterRegistry();
    McpMetrics metrics = new McpMetrics(meters);
    callLog = new CallLog(vertx, rows -> {
      logged.add(rows);
      return Future.succeededFuture();
    }, metrics);
    ToolDef echo = new ToolDef("echo", "Echo", "Returns its arguments", Schema.object()
        .string("text", "Some text", 20).required("text").build(true), true, call -> {
          seenArgs = call.args();
          seenUser = call.scopeUser();
          return Future.succeededFuture(new JsonObject().put("text", call.string("text")));
        }).hints(ToolDef.Hints.READ_ONLY).output(new JsonObject().put("type", "object"));
    ToolDef slow = new ToolDef("slow", "Slow", "Never answers", Schema.object().build(false), false,
        call -> Promise.promise().future()).hints(ToolDef.Hints.READ_ONLY);
    ToolDef boom = new ToolDef("boom", "Boom", "Fails inside", Schema.object().build(false), false, call -> {
      throw new IllegalStateException("NullPointerException at com.example.Secret.java:42");
    }).hints(ToolDef.Hints.READ_ONLY);
    ToolDef refuse = new ToolDef("refuse", "Refuse", "A tool error", Schema.object().build(false), false,
        call -> Future.failedFuture(new ToolError("No such customer"))).hints(ToolDef.Hints.READ_ONLY);
    ToolDef liar = new ToolDef("liar", "Liar", "Breaks its output schema", Schema.object().build(false), false,
        call -> Future.succeededFuture(new JsonObject().put("text", 5))).hints(ToolDef.Hints.READ_ONLY)
        .output(new JsonObject().put("type", "object").put("properties", new JsonObject().put("text",
            new JsonObject().put("type", "string"))).put("required", new JsonArray().add("text")));
    ToolDef plain = new ToolDef("plain", "Plain", "No output schema", Schema.object().build(false), false,
        call -> Future.succeededFuture(new JsonArray().add(1))).hints(ToolDef.Hints.READ_ONLY);
    ToolDef dbDown = new ToolDef("db_down", "DB down", "Its database restarts", Schema.object().build(false), false,
        call -> Future.failedFuture(ClosedConnectionException.INSTANCE)).hints(ToolDef.Hints.READ_ONLY);
    runner = new ToolRunner(vertx, registry, List.of(echo, slow, boom, refuse, plain, liar, dbDown), tokens, callLog,
        metrics);
    registry.apply(List.of(
        group(STAFF, "staff", true, false, tool("echo", true, 5), tool("slow", true, 1), tool("boom", true, 5),
            tool("refuse", true, 5), tool("plain", true, 5), tool("liar", true, 5), tool("hidden", true, 5),
            tool("db_down", true, 5)),
        group(WELCOME, "welcome", true, true, tool("echo", true, 5), tool("slow", false, 5)),
        group(OFF, "off", false, false, tool("echo", true, 5))));
  }

  @AfterEach
  void tearDown() {
    meters.close();
  }

  private static McpGroup group(UUID id, String name, boolean enabled, boolean requiresToken, McpGroup.Tool... tools) {
    Map<String, McpGroup.Tool> byName = new LinkedHashMap<>();
    for (McpGroup.Tool t : tools) {
      byName.put(t.name(), t);
    }
    return new McpGroup(id, name, enabled, requiresToken, "hash-" + name, byName);
  }

  private static McpGroup.Tool tool(String name, boolean enabled, int timeoutSeconds) {
    return new McpGroup.Tool(UUID.randomUUID(), name, enabled, timeoutSeconds, new JsonObject(), null, Instant.now());
  }

  private ToolRunner.Outcome call(UUID group, String tool, JsonObject args, String headerToken) throws Exception {
    return runner.call(new ToolRunner.Caller(group, headerToken, "unit-test"), tool, args).toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The call-log rows written so far, as (tool, success, error, request) per row. */
  private List<List<Object>> logRows() throws Exception {
    callLog.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<List<Object>> rows = new ArrayList<>();
    for (Tuple t : logged) {
      String[] toolNames = (String[]) t.getValue(0);
      for (int i = 0; i < toolNames.length; i++) {
        rows.add(java.util.Arrays.asList(toolNames[i], ((Boolean[]) t.getValue(5))[i], ((String[]) t.getValue(6))[i],
            ((String[]) t.getValue(3))[i]));
      }
    }
    return rows;
  }

  private long count(String tool, String outcome) {
    return meters.find("mcp_tool_calls").tag("tool", tool).tag("outcome", outcome).timers().stream()
        .mapToLong(io.micrometer.core.instrument.Timer::count).sum();
  }

  @Test
  void aGroupSeesAndCallsOnlyItsEnabledTools() throws Exception {
    assertThat(runner.visible(STAFF)).extracting(ToolDef::name)
        .containsExactly("echo", "slow", "boom", "refuse", "plain", "liar", "db_down"); // "hidden": no implementation
    assertThat(runner.visible(WELCOME)).extracting(ToolDef::name).containsExactly("echo");
    assertThat(runner.visible(OFF)).isEmpty();
    assertThat(runner.visible(UUID.randomUUID())).isEmpty();

    assertThat(call(WELCOME, "slow", new JsonObject(), null).unknown()).as("a disabled row").isTrue();
    assertThat(call(WELCOME, "boom", new JsonObject(), null).unknown()).as("another group's tool").isTrue();
    assertThat(call(OFF, "echo", new JsonObject().put("text", "x"), null).unknown()).as("a disabled group").isTrue();
    assertThat(call(STAFF, "hidden", new JsonObject(), null).unknown()).as("a row without a tool").isTrue();
    assertThat(call(STAFF, "nope", new JsonObject(), null).unknown()).isTrue();
    assertThat(seenArgs).as("no handler ran").isNull();
    assertThat(count("(unknown)", "unknown")).isEqualTo(5);
    assertThat(logRows()).extracting(r -> r.get(2)).containsOnly("unknown tool");
  }

  @Test
  void argumentsAreValidatedAfterTheGuardAndResultsComeAsText() throws Exception {
    ToolRunner.Outcome bad = call(STAFF, "echo", new JsonObject().put("text", 42), null);
    assertThat(bad.error()).isTrue();
    assertThat(bad.text()).startsWith("Invalid arguments").contains("text");
    ToolRunner.Outcome ok = call(STAFF, "echo", new JsonObject().put("text", "你好"), null);
    assertThat(ok.error()).isFalse();
    assertThat(new JsonObject(ok.text()).getString("text")).isEqualTo("你好");
    assertThat(ok.structured()).as("declares an output schema").isEqualTo(new JsonObject().put("text", "你好"));
    ToolRunner.Outcome array = call(STAFF, "plain", new JsonObject(), null);
    assertThat(array.text()).isEqualTo("[1]");
    assertThat(array.structured()).as("no output schema, no structured result").isNull();
    ToolRunner.Outcome liar = call(STAFF, "liar", new JsonObject(), null);
    assertThat(liar.error()).as("a result its own output schema refuses is never sent").isTrue();
    assertThat(liar.structured()).isNull();
    assertThat(liar.text()).startsWith("liar failed with an internal error (ref ");
    ToolRunner.Outcome refused = call(STAFF, "refuse", new JsonObject(), null);
    assertThat(refused.error()).isTrue();
    assertThat(refused.text()).isEqualTo("No such customer");
    assertThat(count("echo", "success")).isEqualTo(1);
    assertThat(count("echo", "error")).isEqualTo(1);
  }

  @Test
  void contextTokensAreRequiredWhereTheGroupSaysAndLimitTheCall() throws Exception {
    UUID user = UUID.randomUUID();
    String token = tokens.issue(user, Duration.ofMinutes(5));
    ToolRunner.Outcome none = call(WELCOME, "echo", new JsonObject().put("text", "x"), null);
    assertThat(none.text()).contains("requires a context token");
    assertThat(seenArgs).isNull();

    assertThat(call(WELCOME, "echo", new JsonObject().put("text", "x").put("context_token", token), null).error())
        .isFalse();
    assertThat(seenUser).isEqualTo(user);
    assertThat(seenArgs.containsKey("context_token")).as("the token is not an argument of the tool").isFalse();

    seenUser = null;
    assertThat(call(WELCOME, "echo", new JsonObject().put("text", "y"), token).error()).as("header token").isFalse();
    assertThat(seenUser).isEqualTo(user);
    assertThat(call(WELCOME, "echo", new JsonObject().put("text", "x"), token + "x").text())
        .contains("invalid or expired");
    String forged = new ContextTokens(vertx, new SecretBox("ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="))
        .issue(user, Duration.ofMinutes(5));
    assertThat(call(STAFF, "echo", new JsonObject().put("text", "x").put("context_token", forged), null).text())
        .as("a staff group needs none, but one it is given must be valid").contains("invalid or expired");

    assertThat(logRows()).extracting(r -> (String) r.get(3)).filteredOn(r -> r != null && r.contains("context_token"))
        .allMatch(r -> r.contains("[redacted]") && !r.contains(token));
  }

  @Test
  void theServersWarmUpCallsRunLikeAnyButLeaveNoTraceAndNoOneElseCanMakeThem() throws Exception {
    String warm = tokens.issueWarmUp();
    ToolRunner.Outcome ok = call(WELCOME, "echo", new JsonObject().put("text", "x"), warm);
    assertThat(ok.error()).isFalse();
    assertThat(seenUser).as("the tool runs for the warm-up subject, which is no user").isEqualTo(ContextTokens.WARM_UP);
    assertThat(call(STAFF, "refuse", new JsonObject(), warm).text()).isEqualTo("No such customer");
    assertThat(count("echo", "success") + count("refuse", "error")).as("not counted").isZero();

    // the same calls for a customer are logged and counted
    String customer = tokens.issue(UUID.randomUUID(), Duration.ofMinutes(5));
    assertThat(call(WELCOME, "echo", new JsonObject().put("text", "y"), customer).error()).isFalse();
    assertThat(count("echo", "success")).isEqualTo(1);
    assertThat(logRows()).extracting(r -> r.get(0), r -> r.get(3))
        .containsExactly(tuple("echo", "{\"text\":\"y\",\"context_token\":\"[redacted]\"}"));

    // only the server mints the warm-up token: no request can ask for one by naming the nil UUID
    assertThatThrownBy(() -> tokens.issue(ContextTokens.WARM_UP, Duration.ofMinutes(5)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theToolsTimeoutEndsTheCallAndAnInternalFailureTellsNoInternals() throws Exception {
    long t0 = System.nanoTime();
    ToolRunner.Outcome slow = call(STAFF, "slow", new JsonObject(), null);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(slow.error()).isTrue();
    assertThat(slow.text()).isEqualTo("slow timed out after 1 s");
    assertThat(ms).as("the row's timeout_seconds (1), not more").isBetween(900L, 5_000L);
    assertThat(count("slow", "timeout")).isEqualTo(1);

    ToolRunner.Outcome boom = call(STAFF, "boom", new JsonObject(), null);
    assertThat(boom.error()).isTrue();
    assertThat(boom.text()).startsWith("boom failed with an internal error (ref ").doesNotContain("Exception")
        .doesNotContain("com.example");
    assertThat(logRows()).extracting(r -> r.get(0), r -> r.get(1))
        .contains(tuple("slow", false), tuple("boom", false));
  }

  @Test
  void aDatabaseOutageIsSaidAsOneWorthARetryNotAsAnInternalError() throws Exception {
    ToolRunner.Outcome down = call(STAFF, "db_down", new JsonObject(), null);
    assertThat(down.error()).isTrue();
    assertThat(down.text()).isEqualTo("db_down failed: the database is unavailable for a moment, try again in a few "
        + "seconds");
  }
}
