package com.anmeismart.server.api;

import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** Tokens the server did not issue, or no longer honours, are refused with 401. */
class JwtIT {

  static final String SECRET = TestApp.defaults(java.nio.file.Path.of(".")).getString("JWT_SECRET");
  static TestApp server;
  static String userId;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    userId = server.http.post("/api/v1/auth/register", AuthIT.customer(AuthIT.unique("jwt_")), null).json()
        .getString("id");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String sign(String alg, String macAlg, String secret, JsonObject claims) throws Exception {
    String signingInput = b64(new JsonObject().put("typ", "JWT").put("alg", alg).encode()) + "." + b64(claims.encode());
    if (macAlg == null) {
      return signingInput + ".";
    }
    Mac mac = Mac.getInstance(macAlg);
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macAlg));
    return signingInput + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.UTF_8)));
  }

  static JsonObject claims(long expOffsetSeconds) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", userId).put("role", "admin").put("iat", now).put("exp", now + expOffsetSeconds)
        .put("iss", "anmeismart").put("aud", "anmeismart-api");
  }

  @Test
  void aCorrectlySignedTokenIsAccepted() throws Exception {
    // the control case: the hand-made signer below is right, so each refusal is about the one thing changed
    assertThat(server.http.get("/api/v1/auth/me", sign("HS256", "HmacSHA256", SECRET, claims(600))).status())
        .isEqualTo(200);
  }

  @Test
  void forgedSignatureIsRefused() throws Exception {
    assertRefused(sign("HS256", "HmacSHA256", "someone-elses-secret-0123456789abcdef", claims(600)));
  }

  @Test
  void tamperedPayloadIsRefused() throws Exception {
    String token = sign("HS256", "HmacSHA256", SECRET, claims(600).put("role", "customer"));
    String[] parts = token.split("\\.");
    assertRefused(parts[0] + "." + b64(claims(600).encode()) + "." + parts[2]);
  }

  @Test
  void expiredTokenIsRefused() throws Exception {
    assertRefused(sign("HS256", "HmacSHA256", SECRET, claims(-120)));
  }

  @Test
  void aCorrectlySignedTokenWithoutExpiryIsRefused() throws Exception {
    // before: accepted (vertx-auth-jwt checks exp only when present), so such a token would never expire
    JsonObject noExp = claims(600);
    noExp.remove("exp");
    assertRefused(sign("HS256", "HmacSHA256", SECRET, noExp));
    // time claims that are not numbers (before: a ClassCastException in the library's expiry check, a 500)
    assertRefused(sign("HS256", "HmacSHA256", SECRET, claims(600).put("exp", "tomorrow")));
    assertRefused(sign("HS256", "HmacSHA256", SECRET, claims(600).put("iat", new JsonObject())));
    assertRefused(sign("HS256", "HmacSHA256", SECRET, claims(600).put("nbf", "soon")));
    // the bridge checks frames with the same tokens: refused there too, accepted with an expiry
    try (BridgeClient page = BridgeClient.connect(server.port("HTTP_PORT"))) {
      page.register("client.admins", sign("HS256", "HmacSHA256", SECRET, noExp));
      assertThat(page.awaitError(1)).isEqualTo("rejected");
      page.register("client.admins", server.adminToken());
      page.awaitListening(server.app.vertx().eventBus(), "client.admins");
    }
  }

  @Test
  void otherAlgorithmsAreRefused() throws Exception {
    assertRefused(sign("none", null, SECRET, claims(600)));
    assertRefused(sign("HS512", "HmacSHA512", SECRET, claims(600)));
    assertRefused(sign("HS384", "HmacSHA384", SECRET, claims(600)));
  }

  @Test
  void wrongIssuerOrAudienceIsRefused() throws Exception {
    assertRefused(sign("HS256", "HmacSHA256", SECRET, claims(600).put("iss", "elsewhere")));
    assertRefused(sign("HS256", "HmacSHA256", SECRET, claims(600).put("aud", "another-api")));
  }

  @Test
  void garbageIsRefused() {
    assertRefused("not.a.jwt");
    assertRefused("");
  }

  private static void assertRefused(String token) {
    var res = server.http.get("/api/v1/auth/me", token);
    assertThat(res.status()).as(token).isEqualTo(401);
    assertThat(res.errorCode()).isEqualTo("unauthorized");
    // an admin-only route refuses it too: a forged "admin" role claim must not open it
    assertThat(server.http.get("/api/v1/admin/users", token).status()).isEqualTo(401);
  }
}
