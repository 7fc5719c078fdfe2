package com.anmeismart.server.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a simulation prepares before its load starts ({@code before()}), through the public API like an operator
 * would: an admin token, consultant accounts, an MCP group's key. Plain JDK HTTP, outside Gatling's statistics.
 */
public final class Setup {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Setup() {
  }

  /** A consultant account: its id and login name (the page logs in with it). */
  public record Staff(String id, String username) {
  }

  public static String adminToken() {
    return login(Target.ADMIN, Target.ADMIN_PASSWORD);
  }

  public static String login(String username, String password) {
    ObjectNode body = JSON.createObjectNode().put("username_or_email", username).put("password", password);
    return call("POST", "/api/v1/auth/login", null, body, 200).get("access_token").asText();
  }

  /**
   * Creates {@code n} active consultants (the admin API, eight at a time: each costs the server an argon2 hash).
   */
  public static List<Staff> consultants(String admin, int n) {
    List<Staff> staff = new ArrayList<>();
    for (int from = 0; from < n; from += 8) {
      List<CompletableFuture<Staff>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + 8); i++) {
        String username = Target.name("k", i);
        ObjectNode body = JSON.createObjectNode().put("username", username)
            .put("email", username + "@staff.load.example").put("password", Target.PASSWORD)
            .put("role", "consultant").put("full_name", "顾问" + i);
        batch.add(CompletableFuture.supplyAsync(() ->
            new Staff(call("POST", "/api/v1/admin/users", admin, body, 201).get("id").asText(), username)));
      }
      batch.forEach(f -> staff.add(f.join()));
    }
    return staff;
  }

  /** A customer registered through the API (e.g. the subject of MCP profile reads); returns its id. */
  public static String customer(String username) {
    ObjectNode body = JSON.createObjectNode().put("username", username).put("email", username + "@load.example")
        .put("password", Target.PASSWORD).put("full_name", "测试客户").put("gender", "female").put("source", "load");
    body.putArray("interests").add("补水").add("光子嫩肤");
    return call("POST", "/api/v1/auth/register", null, body, 201).get("id").asText();
  }

  /** The plain key of the MCP tool group {@code name}, read through the admin API (the read is audited). */
  public static String mcpGroupKey(String admin, String name) {
    for (JsonNode group : call("GET", "/api/v1/mcp/groups", admin, null, 200).get("items")) {
      if (name.equals(group.get("name").asText())) {
        return call("GET", "/api/v1/mcp/groups/" + group.get("id").asText() + "/api-key", admin, null, 200)
            .get("api_key").asText();
      }
    }
    throw new IllegalStateException("no MCP group named " + name);
  }

  static JsonNode call(String method, String path, String token, JsonNode body, int expected) {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(Target.BASE_URL + path)).timeout(Duration.ofSeconds(30))
        .header("Accept", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.toString()));
    if (body != null) {
      req.header("Content-Type", "application/json");
    }
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<String> res = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != expected) {
        throw new IllegalStateException(method + " " + path + " → " + res.statusCode() + " " + res.body());
      }
      return JSON.readTree(res.body());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
