package com.anmeismart.server.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The payload records' codecs on the wire path, as a clustered event bus uses them: encoded into a buffer after
 * whatever the transport wrote before, decoded from that position, equal to what was sent. (Locally the codec passes
 * the instance by reference; only a cluster exercises this path.)
 */
class RecordCodecTest {

  static final Instant AT = Instant.parse("2026-12-02T08:30:00.123Z");

  /** A sample of every payload record, with every field set (and the optional ones null where they may be). */
  static final Map<Class<?>, Object> SAMPLES = Map.ofEntries(
      Map.entry(WelcomeRequest.class, new WelcomeRequest(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), AT,
          "欢迎来到安美智享！🌟", AT.plusSeconds(3), AT.plusSeconds(30), false)),
      Map.entry(WelcomeResult.class, new WelcomeResult("您好，王小美！", "dify", UUID.randomUUID().toString(), "v2", 812,
          "first_text_deadline", true)),
      Map.entry(NewCustomer.class, new NewCustomer(UUID.randomUUID(), "王小美", UUID.randomUUID(), AT, UUID.randomUUID(), 5,
          true, false)),
      Map.entry(NotifyResult.class, new NotifyResult(3, 7, 2)),
      Map.entry(AdminAlert.class, new AdminAlert("settings_invalid", "设置无效",
          new JsonObject().put("errors", new JsonObject().put("rollout_percent", "must be an integer")), AT)),
      Map.entry(ChatRequest.class, new ChatRequest("welcome", UUID.randomUUID(), "你好", new JsonObject().put("a", 1), null,
          15_000)),
      Map.entry(ChatResult.class, new ChatResult("回答", "local-agent", "local-agent", "dify-conv-1", 120)),
      Map.entry(ToolTestRequest.class, new ToolTestRequest(UUID.randomUUID(), "get_user_profile",
          new JsonObject().put("user_id", UUID.randomUUID().toString()), UUID.randomUUID(), "admin:root_admin")),
      Map.entry(ToolTestResult.class, new ToolTestResult(false, true, "{\"error\":\"未找到\"}", 42)),
      Map.entry(WeComTest.class, new WeComTest(UUID.randomUUID(), "li.zhang", "张丽")),
      Map.entry(WeComTestResult.class, new WeComTestResult(false, null, 45009, "api freq out of limit")));

  @Test
  void everyRecordCrossesTheWireUnchanged() {
    List<Class<?>> registered = BusCodecs.codecs().stream().<Class<?>>map(RecordCodec::type).toList();
    assertThat(registered).as("every registered record has a sample here")
        .containsExactlyInAnyOrderElementsOf(SAMPLES.keySet());
    for (RecordCodec<?> codec : BusCodecs.codecs()) {
      roundTrip(codec);
    }
  }

  private static <T> void roundTrip(RecordCodec<T> codec) {
    T sent = codec.type().cast(SAMPLES.get(codec.type()));
    Buffer frame = Buffer.buffer().appendString("header written by the transport");
    int pos = frame.length();
    codec.encodeToWire(frame, sent);
    frame.appendString("the next message");
    T received = codec.decodeFromWire(pos, frame);
    assertThat(received).as(codec.name()).isNotSameAs(sent).isEqualTo(sent);
    assertThat(codec.transform(sent)).as("local delivery shares the immutable record").isSameAs(sent);
    assertThat(codec.systemCodecID()).isEqualTo((byte) -1);
    assertThat(codec.name()).isEqualTo("record:" + codec.type().getName());
  }

  @Test
  void optionalFieldsSurviveAsNulls() {
    WelcomeResult fallback = WelcomeResult.fallback("模板", 3, "breaker_open");
    RecordCodec<WelcomeResult> codec = new RecordCodec<>(WelcomeResult.class, WelcomeResult::toJson,
        WelcomeResult::fromJson);
    Buffer b = Buffer.buffer();
    codec.encodeToWire(b, fallback);
    assertThat(codec.decodeFromWire(0, b)).isEqualTo(fallback);
  }
}
