package com.anmeismart.server.notify;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/** A staff account made through the admin API, logged in. */
record Staff(String id, String username, String token) {

  static final String PASSWORD = "staff-password";

  static Staff create(TestApp server, String adminToken, String prefix, String role) {
    return create(server, adminToken, prefix, role, null);
  }

  /** A staff account with the name people see ({@code display_name}, e.g. 李顾问), or none. */
  static Staff create(TestApp server, String adminToken, String prefix, String role, String displayName) {
    String username = prefix + UUID.randomUUID().toString().substring(0, 8);
    JsonObject body = new JsonObject().put("username", username).put("email", username + "@clinic.example")
        .put("password", PASSWORD).put("role", role);
    if (displayName != null) {
      body.put("display_name", displayName);
    }
    Http.Res res = server.http.post("/api/v1/admin/users", body, adminToken);
    if (res.status() != 201) {
      throw new IllegalStateException("staff create failed: " + res.status() + " " + res.body());
    }
    return new Staff(res.json().getString("id"), username, server.login(username, PASSWORD));
  }

  static Staff consultant(TestApp server, String adminToken) {
    return create(server, adminToken, "consultant_", "consultant");
  }

  static Staff consultant(TestApp server, String adminToken, String displayName) {
    return create(server, adminToken, "consultant_", "consultant", displayName);
  }

  /** Removes every consultant (disables them) so a test decides exactly who is there. */
  static void disableAllConsultants(TestApp server) {
    server.db().update("UPDATE users SET is_active = false WHERE role = 'consultant'");
  }
}
