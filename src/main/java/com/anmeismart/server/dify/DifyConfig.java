package com.anmeismart.server.dify;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * A Dify app the gateway may call. {@code apiKey} is the decrypted app key: it leaves this process only in the
 * Authorization header to that app, never in logs or responses ({@link #toString()} and {@link #toJson()} hide it).
 *
 * @param baseUrl      the API base, ending in {@code /v1} (as Dify shows it: {@code https://api.dify.ai/v1})
 * @param mode         {@code agent} (streaming only) or {@code chat}
 * @param responseMode {@code streaming} or {@code blocking} (chat only)
 * @param weight       share in the A/B draw among enabled configs of the same purpose
 * @param timeoutMs    the longest silence tolerated on a stream, and the connect/header wait
 */
public record DifyConfig(UUID id, String name, String purpose, String baseUrl, String appId, String apiKey, String mode,
                         String responseMode, String version, int weight, boolean enabled, int timeoutMs,
                         Instant createdAt, Instant updatedAt) {

  /** The id the welcome metadata records for the built-in local agent. */
  public static final String LOCAL_AGENT_ID = "local-agent";

  public boolean streaming() {
    return "agent".equals(mode) || "streaming".equals(responseMode);
  }

  /** {@code base_url} normalised to end in {@code /v1}, without a trailing slash. */
  public static String normaliseBaseUrl(String url) {
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u.endsWith("/v1") ? u : u + "/v1";
  }

  /** The admin view: everything but the key, of which only the last four characters are shown. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id == null ? null : id.toString())
        .put("name", name).put("purpose", purpose).put("base_url", baseUrl).put("app_id", appId)
        .put("api_key_hint", apiKey == null || apiKey.length() < 8 ? "****" : "****" + apiKey.substring(apiKey.length() - 4))
        .put("mode", mode).put("response_mode", responseMode).put("version", version).put("weight", weight)
        .put("enabled", enabled).put("timeout_ms", timeoutMs)
        .put("created_at", createdAt == null ? null : createdAt.toString())
        .put("updated_at", updatedAt == null ? null : updatedAt.toString());
  }

  @Override
  public String toString() {
    return "DifyConfig[id=" + id + ", name=" + name + ", purpose=" + purpose + ", base_url=" + baseUrl + ", mode="
        + mode + ", version=" + version + ", weight=" + weight + ", enabled=" + enabled + "]";
  }
}
