package com.anmeismart.server.dify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.settings.GuardPhrases;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The welcome guard end to end (SPEC §11): a Dify double scripted to say each kind of violation, and the local
 * agent's real welcome, through the real gateway, automation, PostgreSQL and bus. What the customer's page receives
 * never holds a dropped sentence; the stored welcome, its metadata, the metrics, the timeline and the dashboard say
 * what fired.
 */
class WelcomeGuardIT {

  static DifyDouble dify;
  static TestApp server;
  static Db db;
  static String admin;
  static final List<JsonObject> pushed = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    dify = new DifyDouble();
    server = TestApp.start(new JsonObject());
    db = server.db();
    admin = server.adminToken();
    server.app.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().address().startsWith("client.conversation.")) {
        pushed.add(new JsonObject().put("address", ctx.message().address()).put("body", ctx.message().body()));
      }
      ctx.next();
    });
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    dify.close();
  }

  static void noConfigs() {
    for (Object o : server.http.get("/api/v1/dify/configs", admin).json().getJsonArray("items")) {
      server.http.delete("/api/v1/dify/configs/" + ((JsonObject) o).getString("id"), admin);
    }
  }

  @BeforeEach
  void defaults() {
    noConfigs();
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS.toJson(),
        admin).status()).isEqualTo(200);
  }

  /** A Dify config whose app says these chunks. */
  static void says(List<String> chunks) {
    noConfigs(); // one config at a time: with several, each customer gets one of them (A/B)
    String key = dify.scripted(chunks, 0);
    Http.Res res = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "guard-" + UUID.randomUUID()
        .toString().substring(0, 6)).put("base_url", dify.baseUrl()).put("api_key", key).put("version", "g1"), admin);
    assertThat(res.status()).as(res.body()).isEqualTo(201);
  }

  record Welcome(UUID userId, String content, JsonObject meta, String seen) {
    JsonObject guard() {
      return meta.getJsonObject("guard");
    }
  }

  /** Registers a customer (full name 王小美) and returns the stored welcome and what the page was sent. */
  static Welcome welcome() {
    UUID userId = UUID.fromString(server.register("wg_" + UUID.randomUUID().toString().substring(0, 8),
        new JsonObject().put("full_name", "王小美").put("phone", "13800138000").put("interests", new JsonArray()
            .add("补水"))).getString("id"));
    Map<String, Object> job = Poll.until(Duration.ofSeconds(20), "job succeeded", () ->
        db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'", userId));
    Map<String, Object> msg = db.one("SELECT content, metadata::text AS metadata FROM messages "
        + "WHERE conversation_id = ? AND kind = 'welcome'", job.get("conversation_id"));
    String address = Addresses.clientConversation(job.get("conversation_id"));
    StringBuilder seen = new StringBuilder();
    for (JsonObject p : pushed) {
      JsonObject body = p.getJsonObject("body");
      if (p.getString("address").equals(address)) {
        seen.append(body.getString("delta", "")).append(body.getString("text", ""))
            .append(body.getJsonObject("message") == null ? "" : body.getJsonObject("message").getString("content"));
      }
    }
    return new Welcome(userId, (String) msg.get("content"), new JsonObject((String) msg.get("metadata")),
        seen.toString());
  }

  @Test
  void eachKindOfViolationIsDroppedAndNeverReachesTheCustomer() {
    String hello = "您好，王小美！欢迎来到安美智享。";
    String tail = "我们的水光针单次约 40 分钟，很适合想要补水的您。";
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("phrase.guaranteed_effect", "我们保证效果，永不反弹！");
    cases.put("phrase.superlative", "我们是全市最好的医美机构。");
    cases.put("phrase.safety_claim", "治疗全程无副作用、零风险。");
    cases.put("claim.cure_rate", "有效率高达 98% 的顾客都满意。");
    cases.put("phrase.before_after", "给您看看我们顾客的术前术后对比照。");
    cases.put("phrase.urgency", "名额有限，今天下单还有优惠！");
    cases.put("service.unknown", "也推荐您试试我们的线雕提升。");
    cases.put("price.mismatch", "水光针现在只要 99 元。");
    cases.put("duration.mismatch", "水光针只需 5 分钟就能做完。");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      says(List.of(hello, c.getValue(), tail));
      Welcome w = welcome();
      assertThat(w.guard().getString("result")).as(c.getKey()).isEqualTo("trimmed");
      assertThat(w.guard().getJsonArray("rules").getList()).as(c.getKey()).contains(c.getKey());
      assertThat(w.content()).as(c.getKey()).isEqualTo(hello + tail);
      assertThat(w.seen()).as("the page never got the dropped sentence: " + c.getKey()).doesNotContain(c.getValue());
      assertThat(w.meta().getString("source")).isEqualTo("dify");
      assertThat(w.meta().encode()).as("the metadata (the customer can read it) holds no dropped text")
          .doesNotContain(c.getValue());
    }
  }

  @Test
  void anotherPersonEndsTheWelcomeAndNothingPassingMeansTheTemplate() {
    says(List.of("您好，王小美！", "李华女士上周也在我们这里做了水光针。", "她的手机是 13912345678。", "欢迎随时咨询。"));
    Welcome w = welcome();
    assertThat(w.content()).isEqualTo("您好，王小美！");
    assertThat(w.guard().getJsonArray("rules").getList()).containsExactly("person.other_name");
    assertThat(w.seen()).doesNotContain("李华").doesNotContain("13912345678");
    assertThat(w.meta().encode()).doesNotContain("李华");

    says(List.of("我们是全国第一的医美机构！", "保证您一次见效。"));
    Welcome replaced = welcome();
    assertThat(replaced.content()).isEqualTo(AutomationSettings.DEFAULT_WELCOME);
    assertThat(replaced.meta().getString("source")).isEqualTo("fallback");
    assertThat(replaced.meta().getString("fallback_reason")).isEqualTo("guard");
    assertThat(replaced.guard().getString("result")).isEqualTo("replaced");
    assertThat(replaced.guard().getJsonArray("rules").getList())
        .contains("phrase.superlative", "phrase.guaranteed_effect");
    assertThat(replaced.seen()).doesNotContain("第一").doesNotContain("保证");

    // recorded: metrics by result and rule, the customer's timeline, the dashboard
    String metrics = server.metrics();
    assertThat(metrics).contains("welcome_guard_total{").contains("result=\"replaced\"")
        .contains("welcome_guard_rules_total{").contains("rule=\"person.other_name\"");
    JsonObject timeline = server.http.get("/api/v1/admin/registration-automation/customers/" + replaced.userId()
        + "/timeline", admin).json();
    assertThat(timeline.getJsonObject("welcome").getJsonObject("guard").getString("result")).isEqualTo("replaced");
    assertThat(timeline.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("type")))
        .contains("welcome_guard");
    JsonObject guard = server.http.get("/api/v1/admin/registration-automation/dashboard?days=1", admin).json()
        .getJsonObject("welcome_guard");
    assertThat(guard.getLong("replaced")).isGreaterThanOrEqualTo(1);
    assertThat(guard.getLong("trimmed")).isGreaterThanOrEqualTo(1);
    assertThat(guard.getJsonObject("rules").getLong("person.other_name")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void theLocalAgentsRealWelcomePassesAndAnAdminsPhraseTrimsIt() {
    // the local agent's first welcome in this JVM opens its MCP client: on a busy machine that can pass the 3 s
    // first-text deadline, and a template is not what this test is about
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("welcome_first_text_seconds", 30).put("welcome_completion_seconds", 60), admin).status()).isEqualTo(200);
    Welcome plain = welcome(); // no Dify config: the local agent, over MCP
    assertThat(plain.meta().getString("source")).isEqualTo("local-agent");
    assertThat(plain.guard().getString("result")).isEqualTo("passed");
    assertThat(plain.content()).contains("王小美").contains("分钟"); // a service from service_info, with its length

    // an admin adds a phrase the local agent writes: that sentence goes, the rest stands
    List<String> phrases = new ArrayList<>(GuardPhrases.DEFAULT_LIST);
    phrases.add("专属AI咨询助手");
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("welcome_guard_phrases", new JsonArray(phrases)), admin).status()).isEqualTo(200);
    Welcome trimmed = welcome();
    assertThat(trimmed.meta().getString("source")).isEqualTo("local-agent");
    assertThat(trimmed.guard().getString("result")).isEqualTo("trimmed");
    assertThat(trimmed.guard().getJsonArray("rules").getList()).containsExactly("phrase.custom");
    assertThat(trimmed.content()).doesNotContain("专属AI咨询助手").contains("王小美");
    assertThat(trimmed.seen()).doesNotContain("专属AI咨询助手");
  }

  @Test
  void switchedOffTheTextFlowsAsWrittenAndSaysSo() {
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("welcome_guard_enabled", false), admin).status()).isEqualTo(200);
    says(List.of("您好，", "我们保证效果。"));
    Welcome w = welcome();
    assertThat(w.content()).isEqualTo("您好，我们保证效果。");
    assertThat(w.guard().getString("result")).isEqualTo("disabled");

    Http.Res bad = server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("welcome_guard_phrases", new JsonArray().add("保证").add("保证")), admin);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getJsonObject("error").getJsonObject("details_zh").getString("welcome_guard_phrases"))
        .contains("互不相同");
  }

  @Test
  void thePreviewShowsWhatTheCustomerWouldSeeWithTheEditedPhrases() {
    String path = "/api/v1/admin/registration-automation/welcome-guard/preview";
    JsonObject answer = server.http.post(path, new JsonObject().put("customer_name", "王小美")
        .put("text", "您好，王小美！我们的水光针保证一次见效。本周特价。欢迎随时咨询。")
        .put("phrases", new JsonArray().add("保证").add("特价")), admin).json();
    assertThat(answer.getString("result")).isEqualTo("trimmed");
    assertThat(answer.getJsonArray("rules").getList()).containsExactlyInAnyOrder("phrase.guaranteed_effect",
        "phrase.custom");
    assertThat(answer.getString("text")).isEqualTo("您好，王小美！欢迎随时咨询。");
    List<Boolean> shown = answer.getJsonArray("sentences").stream().map(o -> ((JsonObject) o).getBoolean("shown"))
        .toList();
    assertThat(shown).containsExactly(true, false, false, true);
    // nothing is saved by a preview: the phrase list in force is still the default one
    assertThat(server.http.get("/api/v1/admin/registration-automation/settings", admin).json()
        .getJsonArray("welcome_guard_phrases").getList()).doesNotContain("特价");

    Http.Res noText = server.http.post(path, new JsonObject(), admin);
    assertThat(noText.status()).isEqualTo(400);
    assertThat(noText.json().getJsonObject("error").getJsonObject("details_zh").getString("text")).isNotBlank();
  }
}
