package com.anmeismart.server.api;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The staff-account admin API and the first admin from config. */
class AdminUsersIT {

  static TestApp server;
  static Http http;
  static String admin;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    http = server.http;
    admin = server.adminToken();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonObject staff(String role) {
    String name = AuthIT.unique(role + "_");
    return new JsonObject().put("username", name).put("email", name + "@clinic.example").put("password", "staff-pass-1")
        .put("role", role).put("full_name", "李顾问");
  }

  @Test
  void firstAdminComesFromConfig() {
    Http.Res me = http.get("/api/v1/auth/me", admin);
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getString("role")).isEqualTo("admin");
    assertThat(me.json().getString("username")).isEqualTo(TestApp.ADMIN);
  }

  @Test
  void adminCreatesListsAndUpdatesStaff() {
    Http.Res created = http.post("/api/v1/admin/users", staff("consultant"), admin);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject consultant = created.json();
    assertThat(consultant.getString("role")).isEqualTo("consultant");
    assertThat(consultant.getString("full_name")).isEqualTo("李顾问");

    String token = server.login(consultant.getString("username"), "staff-pass-1");
    assertThat(http.get("/api/v1/auth/me", token).json().getString("role")).isEqualTo("consultant");

    Http.Res list = http.get("/api/v1/admin/users?role=consultant&limit=200", admin);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("id")))
        .contains(consultant.getString("id"));
    assertThat(list.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("role")))
        .containsOnly("consultant");

    Http.Res demoted = http.put("/api/v1/admin/users/" + consultant.getString("id"),
        new JsonObject().put("role", "doctor").put("is_active", false), admin);
    assertThat(demoted.status()).isEqualTo(200);
    assertThat(demoted.json().getString("role")).isEqualTo("doctor");
    assertThat(demoted.json().getBoolean("is_active")).isFalse();

    Http.Res disabledLogin = http.post("/api/v1/auth/login", new JsonObject()
        .put("username_or_email", consultant.getString("username")).put("password", "staff-pass-1"), null);
    assertThat(disabledLogin.status()).isEqualTo(403);
    assertThat(disabledLogin.errorCode()).isEqualTo("account_disabled");
    assertThat(http.get("/api/v1/auth/me", token).status()).as("an issued token stops working too").isEqualTo(403);
  }

  @Test
  void staffListExcludesCustomersUnlessAsked() {
    String customerId = http.post("/api/v1/auth/register", AuthIT.customer(AuthIT.unique("c_")), null).json()
        .getString("id");
    var staffIds = http.get("/api/v1/admin/users?limit=200", admin).json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("id")).toList();
    assertThat(staffIds).doesNotContain(customerId);
    var customerIds = http.get("/api/v1/admin/users?role=customer&limit=200", admin).json().getJsonArray("items")
        .stream().map(o -> ((JsonObject) o).getString("id")).toList();
    assertThat(customerIds).contains(customerId);
  }

  @Test
  void onlyAdminsMayUseIt() {
    JsonObject doctor = http.post("/api/v1/admin/users", staff("doctor"), admin).json();
    String doctorToken = server.login(doctor.getString("username"), "staff-pass-1");
    Http.Res res = http.get("/api/v1/admin/users", doctorToken);
    assertThat(res.status()).isEqualTo(403);
    assertThat(res.errorCode()).isEqualTo("forbidden");
    assertThat(http.post("/api/v1/admin/users", staff("admin"), doctorToken).status()).isEqualTo(403);
    assertThat(http.get("/api/v1/admin/users", null).status()).isEqualTo(401);
  }

  @Test
  void badInputIsA4xx() {
    Http.Res role = http.post("/api/v1/admin/users", staff("consultant").put("role", "customer"), admin);
    assertThat(role.status()).isEqualTo(400);
    assertThat(role.errorDetails().containsKey("role")).isTrue();

    JsonObject first = staff("operator");
    assertThat(http.post("/api/v1/admin/users", first, admin).status()).isEqualTo(201);
    Http.Res dup = http.post("/api/v1/admin/users", staff("operator").put("username", first.getString("username")
        .toUpperCase()), admin);
    assertThat(dup.status()).isEqualTo(409);

    assertThat(http.put("/api/v1/admin/users/not-a-uuid", new JsonObject(), admin).status()).isEqualTo(404);
    assertThat(http.put("/api/v1/admin/users/" + java.util.UUID.randomUUID(), new JsonObject().put("role", "doctor"),
        admin).status()).isEqualTo(404);
    Http.Res badQuery = http.get("/api/v1/admin/users?limit=0", admin);
    assertThat(badQuery.status()).isEqualTo(400);
    assertThat(badQuery.errorDetails().containsKey("limit")).isTrue();
    assertThat(http.get("/api/v1/admin/users?role=wizard", admin).status()).isEqualTo(400);
    assertThat(http.put("/api/v1/admin/users/" + java.util.UUID.randomUUID(), new JsonObject().put("is_active", "no"),
        admin).errorDetails().containsKey("is_active")).isTrue();
  }

  @Test
  void anAdminCannotLockThemselvesOut() {
    String myId = http.get("/api/v1/auth/me", admin).json().getString("id");
    Http.Res res = http.put("/api/v1/admin/users/" + myId, new JsonObject().put("is_active", false), admin);
    assertThat(res.status()).isEqualTo(409);
    assertThat(res.errorCode()).isEqualTo("self_lockout");
    assertThat(http.get("/api/v1/auth/me", admin).json().getBoolean("is_active")).isTrue();
  }

  @Test
  void staffHaveADisplayNameAndAUniqueWecomIdThatTheAuditRecords() {
    Http.Res created = http.post("/api/v1/admin/users", staff("consultant").put("display_name", "李顾问（早班）")
        .put("wecom_userid", "LiGuWen"), admin);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject li = created.json();
    assertThat(li.getString("display_name")).isEqualTo("李顾问（早班）");
    assertThat(li.getString("wecom_userid")).isEqualTo("LiGuWen");

    // WeCom ids are unique regardless of case (WeCom compares them so)
    Http.Res twin = http.post("/api/v1/admin/users", staff("consultant").put("wecom_userid", "liguwen"), admin);
    assertThat(twin.status()).isEqualTo(409);
    assertThat(twin.errorCode()).isEqualTo("wecom_userid_taken");
    assertThat(twin.json().getJsonObject("error").getJsonObject("details_zh").getString("wecom_userid"))
        .isEqualTo("该企业微信账号已被其他员工使用");
    Http.Res bad = http.post("/api/v1/admin/users", staff("consultant").put("wecom_userid", "李 顾问"), admin);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorDetails().fieldNames()).containsExactly("wecom_userid");
    assertThat(bad.json().getJsonObject("error").getJsonObject("details_zh").getString("wecom_userid"))
        .contains("企业微信账号");
    Http.Res tooLong = http.put("/api/v1/admin/users/" + li.getString("id"),
        new JsonObject().put("display_name", "名".repeat(65)), admin);
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.errorDetails().fieldNames()).containsExactly("display_name");

    // changed, then cleared (an empty value clears); each change audited with before and after
    Http.Res renamed = http.put("/api/v1/admin/users/" + li.getString("id"),
        new JsonObject().put("display_name", "李顾问").put("wecom_userid", "li.guwen@clinic"), admin);
    assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
    assertThat(renamed.json().getString("display_name")).isEqualTo("李顾问");
    JsonObject audit = http.get("/api/v1/admin/audit?limit=1", admin).json().getJsonArray("items").getJsonObject(0);
    assertThat(audit.getString("action")).isEqualTo("user.update");
    assertThat(audit.getJsonObject("before").getString("display_name")).isEqualTo("李顾问（早班）");
    assertThat(audit.getJsonObject("after").getString("wecom_userid")).isEqualTo("li.guwen@clinic");
    Http.Res cleared = http.put("/api/v1/admin/users/" + li.getString("id"),
        new JsonObject().put("display_name", "").put("wecom_userid", ""), admin);
    assertThat(cleared.json().getValue("display_name")).isNull();
    assertThat(cleared.json().getValue("wecom_userid")).isNull();
    assertThat(cleared.json().getString("full_name")).as("named by the full name again").isEqualTo("李顾问");
    // the freed WeCom id can be given to someone else
    assertThat(http.post("/api/v1/admin/users", staff("consultant").put("wecom_userid", "LiGuWen"), admin).status())
        .isEqualTo(201);
  }

  @Test
  void theRegistrationFormReadsTheActiveServiceNamesWithoutAToken() {
    Http.Res res = http.get("/api/v1/catalogue/services", null);
    assertThat(res.status()).isEqualTo(200);
    assertThat(res.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")))
        .contains("水光针", "光子嫩肤");
    assertThat(res.json().getJsonArray("items").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("id", "name", "category");
  }
}
