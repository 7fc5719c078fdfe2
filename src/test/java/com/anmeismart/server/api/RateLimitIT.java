package com.anmeismart.server.api;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-IP limits on the password-hashing routes. */
class RateLimitIT {

  @Test
  void loginAndRegisterAreLimitedPerAddress() {
    try (TestApp server = TestApp.start(new JsonObject().put("AUTH_RATE_LIMIT_PER_MINUTE", "3"))) {
      JsonObject bad = new JsonObject().put("username_or_email", "nobody").put("password", "whatever1");
      for (int i = 0; i < 3; i++) {
        assertThat(server.http.post("/api/v1/auth/login", bad, null).status()).isEqualTo(401);
      }
      Http.Res limited = server.http.post("/api/v1/auth/login", bad, null);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.errorCode()).isEqualTo("rate_limited");
      assertThat(limited.headers().firstValue("Retry-After")).isPresent();

      // registration has its own bucket: still open, then limited the same way
      for (int i = 0; i < 3; i++) {
        assertThat(server.http.post("/api/v1/auth/register", AuthIT.customer(AuthIT.unique("rl_")), null).status())
            .isEqualTo(201);
      }
      assertThat(server.http.post("/api/v1/auth/register", AuthIT.customer(AuthIT.unique("rl_")), null).status())
          .isEqualTo(429);
    }
  }
}
