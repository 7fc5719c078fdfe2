package com.anmeismart.server.config;

import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one typed configuration of the server, built once at start from {@code conf/*.json} and the environment
 * (env beats file). Keys are the environment variable names, in the file too, so one name means one setting
 * everywhere. {@link #toString()} hides secrets: it is what gets logged.
 */
public record AppConfig(
    int httpPort,
    int mcpPort,
    int managementPort,
    int localAgentPort,
    Path dataDir,
    String pgUrl,
    int pgPoolSize,
    String adminUsername,
    String adminPassword,
    String adminEmail,
    String jwtSecret,
    String secretsKey,
    int jwtTtlSeconds,
    int authRateLimitPerMinute,
    int passwordHashThreads,
    int passwordHashMaxWaitMs,
    int httpInstances,
    String publicBaseUrl,
    int automationConcurrency,
    int automationLeaseSeconds,
    int automationSweepMs,
    int difyBreakerMaxFailures,
    int difyBreakerResetMs,
    int mcpSessionIdleSeconds,
    int mcpMaxBodyBytes,
    String mcpAllowedOrigins,
    int mcpSseKeepAliveSeconds,
    int presenceTtlSeconds,
    int escalationCheckMs,
    int pushTimeoutMs,
    String vapidSubject,
    ZoneId timeZone,
    int consoleCountersMs,
    int httpIdleTimeoutSeconds,
    int mcpIdleTimeoutSeconds,
    String logFormat,
    boolean accessLog,
    int mcpKeyGraceSeconds,
    String wecomCorpId,
    Integer wecomAgentId,
    String wecomSecret,
    String wecomBaseUrl,
    ClusterConfig cluster) {

  /** Every key the server reads, in the order they are documented; the env store only looks at these. */
  public static final List<String> KEYS = List.of(
      "HTTP_PORT", "MCP_PORT", "MANAGEMENT_PORT", "LOCAL_AGENT_PORT", "DATA_DIR", "PG_URL", "PG_POOL_SIZE",
      "ADMIN_USERNAME", "ADMIN_PASSWORD", "ADMIN_EMAIL", "JWT_SECRET", "SECRETS_KEY", "JWT_TTL_SECONDS",
      "AUTH_RATE_LIMIT_PER_MINUTE", "PASSWORD_HASH_THREADS", "PASSWORD_HASH_MAX_WAIT_MS", "HTTP_INSTANCES",
      "PUBLIC_BASE_URL",
      "AUTOMATION_CONCURRENCY", "AUTOMATION_LEASE_SECONDS", "AUTOMATION_SWEEP_MS",
      "DIFY_BREAKER_MAX_FAILURES", "DIFY_BREAKER_RESET_MS",
      "MCP_SESSION_IDLE_SECONDS", "MCP_MAX_BODY_BYTES", "MCP_ALLOWED_ORIGINS", "MCP_SSE_KEEPALIVE_SECONDS",
      "PRESENCE_TTL_SECONDS", "ESCALATION_CHECK_MS", "PUSH_TIMEOUT_MS", "VAPID_SUBJECT", "TIME_ZONE",
      "CONSOLE_COUNTERS_MS", "HTTP_IDLE_TIMEOUT_SECONDS", "MCP_IDLE_TIMEOUT_SECONDS",
      "LOG_FORMAT", "ACCESS_LOG", "MCP_KEY_GRACE_SECONDS",
      "WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_BASE_URL",
      "CLUSTER", "CLUSTER_HOST", "CLUSTER_PORT", "CLUSTER_BUS_PORT", "CLUSTER_MEMBERS", "CLUSTER_NAME",
      "CLUSTER_CONFIG", "NODE_NAME");


  /**
   * Builds the config from merged key/values; values may be strings (env) or JSON numbers (file).
   *
   * @throws IllegalArgumentException naming every bad key, so a misconfigured start fails with one clear message
   */
  public static AppConfig from(JsonObject json) {
    List<String> problems = new ArrayList<>();
    int cores = Runtime.getRuntime().availableProcessors();
    AppConfig config = new AppConfig(
        port(json, "HTTP_PORT", 8080, problems),
        port(json, "MCP_PORT", 8000, problems),
        port(json, "MANAGEMENT_PORT", 9090, problems),
        port(json, "LOCAL_AGENT_PORT", 8001, problems),
        Path.of(string(json, "DATA_DIR", "./data")),
        string(json, "PG_URL", null),
        integer(json, "PG_POOL_SIZE", 16, 1, 500, problems),
        string(json, "ADMIN_USERNAME", null),
        string(json, "ADMIN_PASSWORD", null),
        string(json, "ADMIN_EMAIL", null),
        string(json, "JWT_SECRET", null),
        string(json, "SECRETS_KEY", null),
        integer(json, "JWT_TTL_SECONDS", 28_800, 60, 30 * 86_400, problems),
        integer(json, "AUTH_RATE_LIMIT_PER_MINUTE", 30, 1, 1_000_000, problems),
        integer(json, "PASSWORD_HASH_THREADS", cores, 1, 64, problems),
        integer(json, "PASSWORD_HASH_MAX_WAIT_MS", 5_000, 0, 600_000, problems),
        integer(json, "HTTP_INSTANCES", cores, 1, 64, problems),
        string(json, "PUBLIC_BASE_URL", null),
        integer(json, "AUTOMATION_CONCURRENCY", 64, 1, 10_000, problems),
        integer(json, "AUTOMATION_LEASE_SECONDS", 60, 1, 3_600, problems),
        integer(json, "AUTOMATION_SWEEP_MS", 1_000, 10, 600_000, problems),
        integer(json, "DIFY_BREAKER_MAX_FAILURES", 5, 1, 1_000, problems),
        integer(json, "DIFY_BREAKER_RESET_MS", 30_000, 100, 3_600_000, problems),
        integer(json, "MCP_SESSION_IDLE_SECONDS", 1_800, 5, 86_400, problems),
        integer(json, "MCP_MAX_BODY_BYTES", 1_048_576, 1_024, 64 * 1_048_576, problems),
        string(json, "MCP_ALLOWED_ORIGINS", "http://localhost:*,http://127.0.0.1:*"),
        integer(json, "MCP_SSE_KEEPALIVE_SECONDS", 15, 1, 3_600, problems),
        integer(json, "PRESENCE_TTL_SECONDS", 60, 3, 3_600, problems),
        integer(json, "ESCALATION_CHECK_MS", 30_000, 50, 3_600_000, problems),
        integer(json, "PUSH_TIMEOUT_MS", 10_000, 100, 120_000, problems),
        string(json, "VAPID_SUBJECT", null),
        zone(json, "TIME_ZONE", "Asia/Shanghai", problems),
        integer(json, "CONSOLE_COUNTERS_MS", 5_000, 50, 600_000, problems),
        integer(json, "HTTP_IDLE_TIMEOUT_SECONDS", 30, 2, 3_600, problems),
        integer(json, "MCP_IDLE_TIMEOUT_SECONDS", 60, 2, 3_600, problems),
        string(json, "LOG_FORMAT", "text").toLowerCase(java.util.Locale.ROOT),
        bool(json, "ACCESS_LOG", false, problems),
        integer(json, "MCP_KEY_GRACE_SECONDS", 600, 0, 86_400, problems),
        string(json, "WECOM_CORP_ID", null),
        string(json, "WECOM_AGENT_ID", null) == null ? null
            : integer(json, "WECOM_AGENT_ID", 0, 1, Integer.MAX_VALUE, problems),
        string(json, "WECOM_SECRET", null),
        string(json, "WECOM_BASE_URL", "https://qyapi.weixin.qq.com"),
        ClusterConfig.from(json, string(json, "PG_URL", null), problems));
    if (!com.anmeismart.server.ops.LogFormat.FORMATS.contains(config.logFormat())) {
      problems.add("LOG_FORMAT must be text or json (was '" + config.logFormat() + "')");
    }
    if (!config.wecomBaseUrl().matches("https?://[^\\s/]+(/\\S*)?")) {
      problems.add("WECOM_BASE_URL must be an http(s) URL (was '" + config.wecomBaseUrl() + "')");
    }
    if (config.vapidSubject() != null && !config.vapidSubject().startsWith("mailto:")
        && !config.vapidSubject().startsWith("https://")) {
      problems.add("VAPID_SUBJECT must be a mailto: or https: URL (RFC 8292)");
    }
    if (config.mcpIdleTimeoutSeconds() <= config.mcpSseKeepAliveSeconds()) {
      // a quiet event stream would be closed between two keep-alive comments
      problems.add("MCP_IDLE_TIMEOUT_SECONDS (" + config.mcpIdleTimeoutSeconds()
          + ") must be greater than MCP_SSE_KEEPALIVE_SECONDS (" + config.mcpSseKeepAliveSeconds() + ")");
    }
    if (config.adminUsername() != null && config.adminPassword() == null) {
      problems.add("ADMIN_PASSWORD must be set when ADMIN_USERNAME is");
    }
    if (config.adminPassword() != null && config.adminPassword().length() < 8) {
      problems.add("ADMIN_PASSWORD must have at least 8 characters");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid configuration: " + String.join("; ", problems));
    }
    return config;
  }

  /** A copy with the generated or loaded local secrets filled in. */
  public AppConfig withSecrets(String jwtSecret, String secretsKey) {
    return new AppConfig(httpPort, mcpPort, managementPort, localAgentPort, dataDir, pgUrl, pgPoolSize,
        adminUsername, adminPassword, adminEmail, jwtSecret, secretsKey, jwtTtlSeconds, authRateLimitPerMinute,
        passwordHashThreads, passwordHashMaxWaitMs, httpInstances, publicBaseUrl, automationConcurrency, automationLeaseSeconds,
        automationSweepMs, difyBreakerMaxFailures, difyBreakerResetMs, mcpSessionIdleSeconds, mcpMaxBodyBytes,
        mcpAllowedOrigins, mcpSseKeepAliveSeconds, presenceTtlSeconds, escalationCheckMs, pushTimeoutMs, vapidSubject,
        timeZone, consoleCountersMs, httpIdleTimeoutSeconds, mcpIdleTimeoutSeconds, logFormat, accessLog,
        mcpKeyGraceSeconds, wecomCorpId, wecomAgentId, wecomSecret, wecomBaseUrl, cluster);
  }

  /** A copy with the cluster settings as this node uses them ({@link ClusterConfig#resolved()}). */
  public AppConfig withCluster(ClusterConfig resolved) {
    return new AppConfig(httpPort, mcpPort, managementPort, localAgentPort, dataDir, pgUrl, pgPoolSize,
        adminUsername, adminPassword, adminEmail, jwtSecret, secretsKey, jwtTtlSeconds, authRateLimitPerMinute,
        passwordHashThreads, passwordHashMaxWaitMs, httpInstances, publicBaseUrl, automationConcurrency, automationLeaseSeconds,
        automationSweepMs, difyBreakerMaxFailures, difyBreakerResetMs, mcpSessionIdleSeconds, mcpMaxBodyBytes,
        mcpAllowedOrigins, mcpSseKeepAliveSeconds, presenceTtlSeconds, escalationCheckMs, pushTimeoutMs, vapidSubject,
        timeZone, consoleCountersMs, httpIdleTimeoutSeconds, mcpIdleTimeoutSeconds, logFormat, accessLog,
        mcpKeyGraceSeconds, wecomCorpId, wecomAgentId, wecomSecret, wecomBaseUrl, resolved);
  }

  /** The settings as key/values, secrets replaced by {@code ******}: safe to log. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("HTTP_PORT", httpPort);
    m.put("MCP_PORT", mcpPort);
    m.put("MANAGEMENT_PORT", managementPort);
    m.put("LOCAL_AGENT_PORT", localAgentPort);
    m.put("DATA_DIR", dataDir.toString());
    m.put("PG_URL", pgUrl == null ? "(embedded)" : redactUrl(pgUrl));
    m.put("PG_POOL_SIZE", pgPoolSize);
    m.put("ADMIN_USERNAME", adminUsername);
    m.put("ADMIN_PASSWORD", hidden(adminPassword));
    m.put("ADMIN_EMAIL", adminEmail);
    m.put("JWT_SECRET", hidden(jwtSecret));
    m.put("SECRETS_KEY", hidden(secretsKey));
    m.put("JWT_TTL_SECONDS", jwtTtlSeconds);
    m.put("AUTH_RATE_LIMIT_PER_MINUTE", authRateLimitPerMinute);
    m.put("PASSWORD_HASH_THREADS", passwordHashThreads);
    m.put("PASSWORD_HASH_MAX_WAIT_MS", passwordHashMaxWaitMs);
    m.put("HTTP_INSTANCES", httpInstances);
    m.put("PUBLIC_BASE_URL", publicBaseUrl);
    m.put("AUTOMATION_CONCURRENCY", automationConcurrency);
    m.put("AUTOMATION_LEASE_SECONDS", automationLeaseSeconds);
    m.put("AUTOMATION_SWEEP_MS", automationSweepMs);
    m.put("DIFY_BREAKER_MAX_FAILURES", difyBreakerMaxFailures);
    m.put("DIFY_BREAKER_RESET_MS", difyBreakerResetMs);
    m.put("MCP_SESSION_IDLE_SECONDS", mcpSessionIdleSeconds);
    m.put("MCP_MAX_BODY_BYTES", mcpMaxBodyBytes);
    m.put("MCP_ALLOWED_ORIGINS", mcpAllowedOrigins);
    m.put("MCP_SSE_KEEPALIVE_SECONDS", mcpSseKeepAliveSeconds);
    m.put("PRESENCE_TTL_SECONDS", presenceTtlSeconds);
    m.put("ESCALATION_CHECK_MS", escalationCheckMs);
    m.put("PUSH_TIMEOUT_MS", pushTimeoutMs);
    m.put("VAPID_SUBJECT", vapidSubject);
    m.put("TIME_ZONE", timeZone.getId());
    m.put("CONSOLE_COUNTERS_MS", consoleCountersMs);
    m.put("HTTP_IDLE_TIMEOUT_SECONDS", httpIdleTimeoutSeconds);
    m.put("MCP_IDLE_TIMEOUT_SECONDS", mcpIdleTimeoutSeconds);
    m.put("LOG_FORMAT", logFormat);
    m.put("ACCESS_LOG", accessLog);
    m.put("MCP_KEY_GRACE_SECONDS", mcpKeyGraceSeconds);
    m.put("WECOM_CORP_ID", wecomCorpId);
    m.put("WECOM_AGENT_ID", wecomAgentId);
    m.put("WECOM_SECRET", hidden(wecomSecret));
    m.put("WECOM_BASE_URL", wecomBaseUrl);
    m.putAll(cluster.describe());
    return m;
  }

  /**
   * The VAPID {@code sub} claim push services may use to contact the operator: {@code VAPID_SUBJECT}, else the
   * public URL when it is https, else a placeholder address.
   */
  public String vapidSubjectOrDefault() {
    if (vapidSubject != null) {
      return vapidSubject;
    }
    return publicBaseUrl != null && publicBaseUrl.startsWith("https://") ? publicBaseUrl : "mailto:ops@anmeismart.invalid";
  }

  @Override
  public String toString() {
    return "AppConfig" + describe();
  }


  private static String hidden(String secret) {
    return secret == null ? null : "******";
  }

  /** Keeps scheme, host and database of a PostgreSQL URL, hides the password. */
  static String redactUrl(String url) {
    return url.replaceAll("(://[^:/@]+):[^@]*@", "$1:******@");
  }

  static String string(JsonObject json, String key, String def) {
    Object v = json.getValue(key);
    if (v == null) {
      return def;
    }
    String s = v.toString().trim();
    return s.isEmpty() ? def : s;
  }

  private static boolean bool(JsonObject json, String key, boolean def, List<String> problems) {
    String s = string(json, key, null);
    if (s == null) {
      return def;
    }
    if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
      problems.add(key + " must be true or false (was '" + s + "')");
      return def;
    }
    return Boolean.parseBoolean(s);
  }

  /**
   * The clinic's zone, a region name of the IANA database (what both Java and PostgreSQL read the same way). Fixed
   * offsets such as {@code +08:00} or {@code UTC+8} are refused: PostgreSQL reads a bare offset in POSIX style, with
   * the sign inverted, so the dashboard's days would be 16 hours off.
   */
  private static ZoneId zone(JsonObject json, String key, String def, List<String> problems) {
    String s = string(json, key, def);
    try {
      ZoneId zone = ZoneId.of(s);
      if (!(zone instanceof ZoneOffset) && s.matches("[A-Za-z_]+(/[A-Za-z0-9_+-]+)*")) {
        return zone;
      }
    } catch (DateTimeException e) {
      // reported below
    }
    problems.add(key + " must be a time zone name such as Asia/Shanghai (was '" + s + "')");
    return ZoneId.of(def);
  }

  private static int port(JsonObject json, String key, int def, List<String> problems) {
    return integer(json, key, def, 0, 65_535, problems);
  }

  static int integer(JsonObject json, String key, int def, int min, int max, List<String> problems) {
    String s = string(json, key, null);
    if (s == null) {
      return def;
    }
    try {
      int v = Integer.parseInt(s);
      if (v < min || v > max) {
        problems.add(key + " must be between " + min + " and " + max + " (was " + v + ")");
        return def;
      }
      return v;
    } catch (NumberFormatException e) {
      problems.add(key + " must be an integer (was '" + s + "')");
      return def;
    }
  }
}
