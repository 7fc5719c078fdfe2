package com.anmeismart.server.dify;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class DifyUnitTest {

  @Test
  void sseFramesSplitAnywhereBecomeWholeEvents() {
    List<DifyClient.Event> events = new ArrayList<>();
    DifyClient.SseParser parser = new DifyClient.SseParser(events::add);
    String stream = "data: {\"event\":\"agent_message\",\"answer\":\"您好\"}\n\nevent: ping\n\n"
        + "data: {\"event\":\"message_end\",\"id\":\"m1\"}\r\n\r\n";
    byte[] bytes = stream.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += 7) { // chunks that cut lines and even UTF-8 characters
      parser.handle(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 7))));
    }
    assertThat(events).extracting(DifyClient.Event::name).containsExactly("agent_message", "ping", "message_end");
    assertThat(events.get(0).data().getString("answer")).isEqualTo("您好");
  }

  @Test
  void onlyWholeSentencesSurviveACut() {
    assertThat(WelcomeCall.wholeSentences("您好，欢迎！我是您的专")).isEqualTo("您好，欢迎！");
    assertThat(WelcomeCall.wholeSentences("Hello. How are")).isEqualTo("Hello.");
    assertThat(WelcomeCall.wholeSentences("没有句号的半句")).isEmpty();
  }

  @Test
  void failuresAreClassifiedAsReferenceDifySaysToTreatThem() {
    assertThat(new DifyException(DifyException.Kind.CONNECT, 0, null, "").retryable()).isTrue();
    assertThat(new DifyException(DifyException.Kind.HTTP, 429, "too_many_requests", "").retryable()).isTrue();
    assertThat(new DifyException(DifyException.Kind.HTTP, 429, "rate_limit_error", "").retryable()).isFalse();
    assertThat(new DifyException(DifyException.Kind.HTTP, 503, null, "").retryable()).isTrue();
    assertThat(new DifyException(DifyException.Kind.HTTP, 400, "invalid_param", "").retryable()).isFalse();
    assertThat(new DifyException(DifyException.Kind.STREAM_ERROR, 500, "x", "").retryable()).as("the POST reached Dify")
        .isFalse();
    assertThat(new DifyException(DifyException.Kind.HTTP, 401, "unauthorized", "").unavailable()).isFalse();
    assertThat(new DifyException(DifyException.Kind.HTTP, 500, null, "").unavailable()).isTrue();
    assertThat(new DifyException(DifyException.Kind.NO_TERMINAL, 200, null, "").unavailable()).isTrue();
  }

  @Test
  void theWeightedDrawSplitsByWeightAndIsStable() {
    DifyConfig a = config(700);
    DifyConfig b = config(300);
    int onA = 0;
    for (int i = 0; i < 20_000; i++) {
      UUID user = UUID.randomUUID();
      DifyConfig c = ConfigChooser.draw(user, "welcome", List.of(a, b));
      assertThat(ConfigChooser.draw(user, "welcome", List.of(a, b))).isSameAs(c);
      onA += c == a ? 1 : 0;
    }
    // mean 14,000, sd ≈ 65
    assertThat(onA).isBetween(13_700, 14_300);
  }

  private static DifyConfig config(int weight) {
    return new DifyConfig(UUID.randomUUID(), "c" + weight, "welcome", "http://x/v1", null, "k", "agent", "streaming",
        "1", weight, true, 1000, null, null);
  }

  @Test
  void theLocalAgentWritesAWarmPersonalWelcome() {
    JsonObject profile = new JsonObject().put("username", "xiaomei").put("full_name", "王小美")
        .put("interests", new JsonArray().add("补水").add("光子嫩肤")).put("source", "wechat");
    JsonObject service = new JsonObject().put("name", "深层补水护理").put("duration_minutes", 60);
    ZonedDateTime afternoon = ZonedDateTime.of(2026, 11, 25, 15, 0, 0, 0, ZoneId.of("Asia/Shanghai"));
    String text = String.join("", WelcomeWriter.write(profile, service, afternoon));
    assertThat(text).startsWith("下午好，王小美！").contains("「补水」和「光子嫩肤」").contains("深层补水护理")
        .contains("60 分钟").contains("微信");
    assertThat(WelcomeWriter.write(profile, service, afternoon)).isEqualTo(WelcomeWriter.write(profile, service,
        afternoon));
    assertThat(String.join("", WelcomeWriter.write(new JsonObject().put("username", "u1"), null, afternoon)))
        .contains("u1").doesNotContain("感兴趣");
    assertThat(WelcomeWriter.greeting(LocalTime.of(8, 0))).isEqualTo("早上好");
    assertThat(WelcomeWriter.greeting(LocalTime.of(20, 0))).isEqualTo("晚上好");
    assertThat(WelcomeWriter.greeting(LocalTime.of(2, 0))).isEqualTo("您好");
    // the same instant in another clinic's zone (TIME_ZONE=Europe/Berlin) is its morning
    assertThat(String.join("", WelcomeWriter.write(profile, service,
        afternoon.withZoneSameInstant(ZoneId.of("Europe/Berlin"))))).startsWith("早上好，王小美！");
  }
}
