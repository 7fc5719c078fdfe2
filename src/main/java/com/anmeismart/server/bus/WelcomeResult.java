package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

/**
 * The welcome text and where it came from.
 *
 * @param source         {@code dify}, {@code local-agent} or {@code fallback}
 * @param configId       the Dify config used (or {@code local-agent}); with a fallback the one that was tried, null
 *                       when none was (the agent is switched off, or no config could be chosen)
 * @param configVersion  that config's version, or null
 * @param latencyMs      time spent producing the text
 * @param fallbackReason why the template was used (or why an agent's text was cut), or null
 * @param truncated      the agent missed the completion deadline: the text is what arrived, cut after its last
 *                       whole sentence
 * @param guard          the welcome guard's verdict ({@code {result, rules, findings}}), or null when the text was
 *                       not checked (the template after an agent failure, which is the clinic's own text)
 */
public record WelcomeResult(String content, String source, String configId, String configVersion, long latencyMs,
                            String fallbackReason, boolean truncated, JsonObject guard) {

  public WelcomeResult(String content, String source, String configId, String configVersion, long latencyMs,
                       String fallbackReason, boolean truncated) {
    this(content, source, configId, configVersion, latencyMs, fallbackReason, truncated, null);
  }

  public static final String SOURCE_DIFY = "dify";
  public static final String SOURCE_LOCAL_AGENT = "local-agent";
  public static final String SOURCE_FALLBACK = "fallback";

  public static WelcomeResult fallback(String content, long latencyMs, String reason) {
    return fallback(content, latencyMs, reason, null, null);
  }

  /** The template, after the agent of {@code configId} (and version) was tried and could not answer. */
  public static WelcomeResult fallback(String content, long latencyMs, String reason, String configId,
                                       String configVersion) {
    return new WelcomeResult(content, SOURCE_FALLBACK, configId, configVersion, latencyMs, reason, false);
  }

  /** The message metadata stored with the welcome. */
  public JsonObject metadata() {
    JsonObject m = new JsonObject().put("source", source).put("latency_ms", latencyMs);
    if (configId != null) {
      m.put("config_id", configId);
    }
    if (configVersion != null) {
      m.put("config_version", configVersion);
    }
    if (fallbackReason != null) {
      m.put("fallback_reason", fallbackReason);
    }
    if (truncated) {
      m.put("truncated", true);
    }
    if (guard != null) {
      m.put("guard", guard.copy());
    }
    return m;
  }

  public JsonObject toJson() {
    return metadata().put("content", content);
  }

  public static WelcomeResult fromJson(JsonObject j) {
    return new WelcomeResult(j.getString("content"), j.getString("source"), j.getString("config_id"),
        j.getString("config_version"), j.getLong("latency_ms", 0L), j.getString("fallback_reason"),
        j.getBoolean("truncated", false), j.getJsonObject("guard"));
  }
}
