package com.anmeismart.server.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.anmeismart.server.testing.ErrorShape;
import com.anmeismart.server.testing.Fuzz;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.LogCapture;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.RawHttp;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of every JSON endpoint of the REST API and of request paths (issue #10 point 5): random and broken
 * JSON, wrong types, NUL and surrogates, huge strings, deep nesting, form and other bodies, bad percent-encodings,
 * long URIs. Whatever comes in: no 5xx, every error in the JSON shape with {@code message_zh}, no class names,
 * stack traces or SQL states in any answer, no stack trace in the log, and the server healthy afterwards. The seed
 * is printed; {@code -Dfuzz.seed=N} replays a run.
 */
class RestFuzzIT {

  private static final Logger LOG = LoggerFactory.getLogger(RestFuzzIT.class);
  private static final int BODY_CASES = 500;
  private static final int PATH_CASES = 200;

  static TestApp server;
  static Http http;
  static String admin;
  static String customer;
  static String consultant;
  static Map<String, String> ids = new LinkedHashMap<>();

  /** One endpoint: method, path (with {name} placeholders from {@link #ids}), who calls, a valid body. */
  record Endpoint(String method, String path, Supplier<String> token, Supplier<Map<String, Object>> template) {
  }

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    http = server.http;
    admin = server.adminToken();
    String name = "fuzz_customer";
    ids.put("customer", server.register(name, null).getString("id"));
    customer = server.login(name, "correct-horse");
    ids.put("conversation", Poll.until(Duration.ofSeconds(15), "conversation", () -> (String) server.db()
        .one("SELECT id::text AS id FROM conversations WHERE customer_id = ?::uuid", ids.get("customer")).get("id")));
    JsonObject staff = http.post("/api/v1/admin/users", new JsonObject().put("username", "fuzz_consultant")
        .put("email", "fc@clinic.example").put("password", "staff-password").put("role", "consultant"), admin).json();
    ids.put("staff", staff.getString("id"));
    consultant = server.login("fuzz_consultant", "staff-password");
    ids.put("group", http.post("/api/v1/mcp/groups", new JsonObject().put("name", "fuzz_group"), admin).json()
        .getString("id"));
    ids.put("tool", http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").getJsonObject(0)
        .getString("id"));
    ids.put("config", http.post("/api/v1/dify/configs", new JsonObject().put("name", "fuzz_config")
        .put("base_url", "http://127.0.0.1:9/v1").put("api_key", "app-key").put("enabled", false), admin).json()
        .getString("id"));
    ids.put("job", (String) server.db().one("SELECT id::text AS id FROM automation_jobs LIMIT 1").get("id"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static List<Endpoint> endpoints(Fuzz f) {
    Supplier<String> none = () -> null;
    Supplier<String> adm = () -> admin;
    return List.of(
        new Endpoint("POST", "/api/v1/auth/register", none, () -> map("username", f.unique("fz"), "email",
            f.unique("e") + "@example.com", "password", "correct-horse", "full_name", "小美", "phone", "13800138000",
            "gender", "female", "birth_date", "1996-05-17", "interests", List.of("补水"), "source", "wechat")),
        new Endpoint("POST", "/api/v1/auth/login", none, () -> map("username_or_email", "fuzz_customer",
            "password", "correct-horse")),
        new Endpoint("POST", "/api/v1/admin/users", adm, () -> map("username", f.unique("st"), "email",
            f.unique("s") + "@clinic.example", "password", "staff-password", "role", "doctor", "full_name", "李医生")),
        new Endpoint("PUT", "/api/v1/admin/users/{staff}", adm, () -> map("full_name", "李顾问", "phone", "13800000000",
            "is_active", true, "role", "consultant")),
        new Endpoint("PUT", "/api/v1/admin/registration-automation/settings", adm, () -> map("rollout_percent", 100,
            "retry_delays_seconds", List.of(5, 15, 60), "notifications", map("consultants", true),
            "welcome_template", "您好", "escalation_minutes", 10)),
        new Endpoint("POST", "/api/v1/admin/registration-automation/jobs/{job}/retry", adm, () -> map()),
        new Endpoint("POST", "/api/v1/mcp/groups", adm, () -> map("name", f.unique("g"), "description", "d",
            "user_tier", "internal", "allowed_roles", List.of("admin"), "requires_context_token", false)),
        new Endpoint("PUT", "/api/v1/mcp/groups/{group}", adm, () -> map("description", "组", "enabled", true)),
        new Endpoint("POST", "/api/v1/mcp/groups/{group}/regenerate-key", adm, () -> map()),
        new Endpoint("PUT", "/api/v1/mcp/tools/{tool}", adm, () -> map("timeout_seconds", 10, "description", "工具",
            "config_data", map("k", "v"), "enabled", true)),
        new Endpoint("POST", "/api/v1/dify/configs", adm, () -> map("name", f.unique("c"), "base_url",
            "http://127.0.0.1:9/v1", "api_key", "k", "mode", "chat", "weight", 10, "enabled", false)),
        new Endpoint("PUT", "/api/v1/dify/configs/{config}", adm, () -> map("version", "2", "timeout_ms", 1000,
            "enabled", false)),
        new Endpoint("POST", "/api/v1/conversations/{conversation}/messages", () -> customer,
            () -> map("content", "你好")),
        new Endpoint("POST", "/api/v1/conversations/{conversation}/claim", () -> consultant, () -> map()),
        new Endpoint("POST", "/api/v1/push/subscriptions", () -> consultant, () -> map("endpoint",
            "https://push.example/x", "keys", map("p256dh", "BA", "auth", "AA"))),
        new Endpoint("POST", "/api/v1/notifications/" + UUID.randomUUID() + "/read", () -> consultant, () -> map()));
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void everyJsonEndpointSurvivesRandomBodies() {
    long seed = Fuzz.seed(20_261_202L);
    LOG.info("RestFuzzIT bodies: seed {} ({} cases; -Dfuzz.seed={} replays)", seed, BODY_CASES, seed);
    Fuzz f = new Fuzz(seed);
    List<Endpoint> endpoints = endpoints(f);
    Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    try (LogCapture log = LogCapture.capture()) {
      for (int i = 0; i < BODY_CASES; i++) {
        Endpoint e = f.pick(endpoints);
        String path = e.path();
        for (Map.Entry<String, String> id : ids.entrySet()) {
          path = path.replace("{" + id.getKey() + "}", id.getValue());
        }
        String contentType = "application/json";
        byte[] body;
        String what;
        int kind = f.nextInt(20);
        if (kind < 9) { // the valid body with one field replaced by anything
          Map<String, Object> b = e.template().get();
          String field = b.isEmpty() || f.chance(15) ? f.string() : f.pick(List.copyOf(b.keySet()));
          b.put(field, f.value(3));
          what = "field " + field;
          body = f.json(b).getBytes(StandardCharsets.UTF_8);
        } else if (kind < 11) { // the valid body, every string field replaced
          Map<String, Object> b = e.template().get();
          b.replaceAll((k, v) -> v instanceof String ? f.string() : v);
          what = "strings";
          body = f.json(b).getBytes(StandardCharsets.UTF_8);
        } else if (kind < 13) {
          what = "any value";
          body = f.json(f.value(4)).getBytes(StandardCharsets.UTF_8);
        } else if (kind == 13) { // broken JSON: the valid body cut short, or with bytes spliced in
          byte[] valid = f.json(e.template().get()).getBytes(StandardCharsets.UTF_8);
          body = java.util.Arrays.copyOf(valid, f.nextInt(valid.length + 1));
          if (f.chance(50) && body.length > 0) {
            body[f.nextInt(body.length)] = (byte) f.nextInt(256);
          }
          what = "broken JSON";
        } else if (kind == 14) {
          what = "random bytes";
          body = f.bytes(300);
        } else if (kind == 15) {
          what = "deep nesting";
          body = Fuzz.nested(500 + f.nextInt(4_000), f.chance(50)).getBytes(StandardCharsets.UTF_8);
        } else if (kind == 16) {
          what = "deep value in a field";
          body = ("{\"config_data\":" + Fuzz.nested(100 + f.nextInt(900), true) + ",\"content\":"
              + Fuzz.nested(100 + f.nextInt(900), false) + "}").getBytes(StandardCharsets.UTF_8);
        } else if (kind == 17) {
          contentType = f.pick(List.of("application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
              "text/plain"));
          what = "form/text body";
          body = f.pick(List.of("a=%zz", "a=%", "%%%=1&b", "a=%E0%A4%A&b=%00")).getBytes(StandardCharsets.UTF_8);
        } else if (kind == 18) {
          contentType = f.pick(java.util.Arrays.asList(null, "", "application/json; charset=utf-16",
              "application/problem+json", "APPLICATION/JSON", "application/jsonx", "*/*"));
          what = "content type " + contentType;
          body = f.json(e.template().get()).getBytes(StandardCharsets.UTF_8);
        } else {
          what = "huge string";
          Map<String, Object> b = e.template().get();
          b.put(b.isEmpty() ? "x" : f.pick(List.copyOf(b.keySet())), "长".repeat(f.nextInt(40_000)));
          body = f.json(b).getBytes(StandardCharsets.UTF_8);
        }
        Http.Res res = http.raw(e.method(), path, contentType, body, e.token().get());
        statuses.merge(res.status(), 1, Integer::sum);
        String context = "case " + i + " (seed " + seed + "): " + e.method() + " " + e.path() + " " + what + " ["
            + preview(body) + "]";
        assertThat(res.status()).as("%s → %s", context, res.body()).isLessThan(500);
        if (res.status() >= 400) {
          ErrorShape.check(res.status(), res.body(), context);
        }
      }
      List<ILoggingEvent> traces = log.events(ev -> ev.getThrowableProxy() != null || ev.getLevel() == Level.ERROR);
      assertThat(traces).as("errors or stack traces logged while fuzzing:\n%s", LogCapture.describe(traces))
          .isEmpty();
    }
    LOG.info("RestFuzzIT bodies: statuses {}", statuses);
    assertThat(statuses.keySet()).as("the fuzz reaches both success and refusals").contains(200, 400);
    assertHealthy();
  }

  @Test
  void pathsWithBadEncodingsAndLongUrisAnswerInTheErrorShape() {
    long seed = Fuzz.seed(20_261_203L);
    LOG.info("RestFuzzIT paths: seed {} ({} cases)", seed, PATH_CASES);
    Fuzz f = new Fuzz(seed);
    int port = server.port("HTTP_PORT");
    List<String> bases = List.of("/api/v1/auth/me", "/api/v1/conversations/{id}/messages", "/api/v1/admin/users",
        "/api/v1/mcp/tools", "/consultant/", "/customer/index.html", "/eventbus/info", "/", "/api/v1/dify/configs/{id}");
    List<String> garbage = List.of("%zz", "%", "%0", "%00", "%C0%AF", "%ED%A0%80", "%FF%FE", "..%2F..%2F", "%2e%2e/",
        "%u0041", "%E4%B8", "a%20b", "%25", "\u4e2d", "%5C", ";jsessionid=1", "//", "%0D%0ASet-Cookie:%20x=1");
    try (LogCapture log = LogCapture.capture()) {
      for (int i = 0; i < PATH_CASES; i++) {
        String path = f.pick(bases).replace("{id}", f.chance(50) ? UUID.randomUUID().toString() : f.pick(garbage));
        int kind = f.nextInt(5);
        if (kind == 0) {
          path = path + f.pick(garbage);
        } else if (kind == 1) {
          path = path + "?" + f.pick(List.of("role", "limit", "unread", "status", "x")) + "=" + f.pick(garbage);
        } else if (kind == 2) {
          path = path + "/" + "a".repeat(f.nextInt(12_000));
        } else if (kind == 3) {
          path = path.replaceFirst("/[^/]*$", "/" + f.pick(garbage) + f.pick(garbage));
        } else {
          path = path + "?limit=" + f.pick(garbage) + "&offset=" + f.nextInt(10) + "&role=" + f.pick(garbage);
        }
        String method = f.pick(List.of("GET", "GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"));
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Authorization: Bearer " + admin;
        RawHttp.Res res = RawHttp.exchange(port, RawHttp.request(head, new byte[0]));
        String context = "path case " + i + " (seed " + seed + "): " + method + " "
            + (path.length() > 200 ? path.substring(0, 200) + "…(" + path.length() + ")" : path);
        assertThat(res.status()).as("%s → %s", context, res.body()).isBetween(200, 499);
        if (res.status() >= 400) {
          assertThat(res.header("Content-Type")).as(context).startsWith("application/json");
          ErrorShape.check(res.status(), res.body(), context);
        }
      }
      List<ILoggingEvent> traces = log.events(ev -> ev.getThrowableProxy() != null || ev.getLevel() == Level.ERROR);
      assertThat(traces).as("errors or stack traces logged:\n%s", LogCapture.describe(traces)).isEmpty();
    }
    assertHealthy();
  }

  /** {@code /ready} is UP and a normal registration and login still work. */
  static void assertHealthy() {
    Http.Res ready = server.management().get("/ready", null);
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
    String name = "healthy_" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(server.register(name, null).getString("username")).isEqualTo(name);
    assertThat(server.login(name, "correct-horse")).isNotBlank();
  }

  private static String preview(byte[] body) {
    String s = new String(body, 0, Math.min(body.length, 160), StandardCharsets.UTF_8);
    return s + (body.length > 160 ? "…(" + body.length + " bytes)" : "");
  }
}
