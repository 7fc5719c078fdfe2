package com.anmeismart.server.testing;

import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Hand-made HS256 tokens for tests: valid ones under the test secret, forged and expired ones on purpose. */
public final class Jwts {

  public static final String SECRET = TestApp.defaults(java.nio.file.Path.of(".")).getString("JWT_SECRET");

  private Jwts() {
  }

  public static String sign(String secret, JsonObject claims) {
    try {
      String input = b64(new JsonObject().put("typ", "JWT").put("alg", "HS256").encode()) + "." + b64(claims.encode());
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return input + "." + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Claims like the server's own tokens, expiring {@code expOffsetSeconds} from now. */
  public static JsonObject claims(String userId, String role, String username, long expOffsetSeconds) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", userId).put("role", role).put("username", username).put("iat", now - 10)
        .put("exp", now + expOffsetSeconds).put("iss", "anmeismart").put("aud", "anmeismart-api");
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
