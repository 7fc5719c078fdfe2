package com.anmeismart.server.mcp;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the call log makes of rows PostgreSQL would refuse, and how a refused batch is split. */
@ExtendWith(VertxExtension.class)
class CallLogTest {

  @Test
  void textIsCleanedOfWhatPostgresRefuses() {
    String plain = "plain 中文 😀";
    assertThat(CallLog.cleanText(plain)).as("untouched text is the same instance").isSameAs(plain);
    assertThat(CallLog.cleanText("a\u0000b")).isEqualTo("a\uFFFDb");
    assertThat(CallLog.cleanText("lone \uD800 high")).isEqualTo("lone \uFFFD high");
    assertThat(CallLog.cleanText("lone \uDC00 low")).isEqualTo("lone \uFFFD low");
    assertThat(CallLog.cleanText("\uD800\u4E2D")).as("a high surrogate before a non-ASCII character")
        .isEqualTo("\uFFFD中");
    assertThat(CallLog.cleanText("end \uD83D")).isEqualTo("end \uFFFD");
    assertThat(CallLog.cut("ab😀", 3)).as("never half a pair").isEqualTo("ab");
  }

  @Test
  void requestsAndResponsesBecomeJsonThatJsonbAccepts() {
    JsonObject request = new JsonObject().put("k\u0000ey", "v\u0000").put("list", new JsonArray().add("\uD800"))
        .put("nan", Double.NaN).put("inf", Double.POSITIVE_INFINITY).put("n", 7);
    JsonObject stored = new JsonObject(CallLog.requestJson(request));
    assertThat(stored.getString("k\uFFFDey")).isEqualTo("v\uFFFD");
    assertThat(stored.getJsonArray("list").getString(0)).isEqualTo("\uFFFD");
    assertThat(stored.getString("nan")).isEqualTo("NaN");
    assertThat(stored.getString("inf")).isEqualTo("Infinity");
    assertThat(stored.getInteger("n")).isEqualTo(7);
    assertThat(CallLog.requestJson(request)).doesNotContain("\\u0000");
    assertThat(new JsonObject(CallLog.requestJson(new JsonObject().put("nan", Double.NaN))).getValue("nan"))
        .as("valid JSON even with nothing else to clean").isEqualTo("NaN");

    String huge = CallLog.requestJson(new JsonObject().put("text", "x".repeat(100_000)));
    assertThat(huge.length()).isLessThan(CallLog.MAX_LOGGED_CHARS + 100);
    assertThat(new JsonObject(huge).getBoolean("truncated")).isTrue();

    // a tool that echoes an argument: its NUL is an escape in the JSON text
    String echoed = new JsonObject().put("question", "a\u0000b").encode();
    assertThat(echoed).contains("\\u0000");
    assertThat(new JsonObject(CallLog.responseJson(echoed)).getString("question")).isEqualTo("a\uFFFDb");
    String fine = new JsonObject().put("ok", true).encode();
    assertThat(CallLog.responseJson(fine)).isSameAs(fine);
    assertThat(new JsonObject(CallLog.responseJson("[1,2]")).getString("text")).isEqualTo("[1,2]");
  }

  @Test
  void aRowTheDatabaseRefusesCostsThatRowAlone(Vertx vertx) throws Exception {
    List<String> written = new ArrayList<>();
    int[] statements = new int[1];
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    // a database that refuses any batch holding the row named "poison", as PostgreSQL refuses a whole INSERT
    CallLog log = new CallLog(vertx, (Tuple rows) -> {
      statements[0]++;
      List<String> tools = Arrays.asList((String[]) rows.getValue(0));
      if (tools.contains("poison")) {
        return Future.failedFuture("22P05 unsupported Unicode escape sequence");
      }
      written.addAll(tools);
      return Future.succeededFuture();
    }, new McpMetrics(meters));
    for (int i = 0; i < 40; i++) {
      log.add(i == 17 ? "poison" : "tool" + i, UUID.randomUUID(), "test", new JsonObject(), "{}", true, null, 1, null);
    }
    log.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(written).hasSize(39).doesNotContain("poison").contains("tool0", "tool16", "tool18", "tool39");
    assertThat(statements[0]).as("split in halves down to the bad row, not one by one").isLessThan(20);
    assertThat(meters.find("mcp_call_log_dropped").tag("cause", "unwritable").counter().count()).isEqualTo(1);
  }
}
