package com.anmeismart.server.settings;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The registration-automation settings an admin edits ({@code /admin/registration-automation/settings}), stored
 * in {@code system_settings} and read by the engines for every job: a change applies to the next job.
 *
 * @param enabled                 whether registrations get the automation at all
 * @param rolloutPercent          0–100: the share of registrations that get it, decided by user id (see {@link #inRollout})
 * @param retryDelaysSeconds      delay before retry n (the last one repeats); ±20 % jitter is added
 * @param maxRetries              retries after the first attempt before the job is dead
 * @param notifyConsultants       run the consultants_notified step
 * @param notifyWebPush           offline consultants also get a Web Push message
 * @param notifyAdmins            admins are told about dead jobs, no consultants, escalations
 * @param expectedResponseMinutes promised to the customer and shown to consultants
 * @param welcomeTemplate         the fallback welcome (and the welcome until an agent answers)
 * @param escalationMinutes       unclaimed this long → re-notify and tell admins; fractions allowed (0.05 = 3 s),
 *                                which short test settings and impatient clinics use
 * @param assistantId             the general AI assistant of the default conversation
 * @param assistantName           its display name
 * @param welcomeFirstTextSeconds the agent's first visible text must arrive this long after registration, or the
 *                                template is used (PRD: the welcome within 3 s)
 * @param welcomeCompletionSeconds the agent's whole welcome must be complete this long after registration
 * @param welcomeUseAgent         false: every welcome is the template (a kill switch for the agent)
 * @param welcomeGuardEnabled     check every agent-written welcome before the customer sees it (SPEC §11)
 * @param welcomeGuardPhrases     the guard's phrase list (zh-CN): a sentence containing one is dropped
 */
public record AutomationSettings(boolean enabled, int rolloutPercent, List<Double> retryDelaysSeconds, int maxRetries,
                                 boolean notifyConsultants, boolean notifyWebPush, boolean notifyAdmins,
                                 int expectedResponseMinutes, String welcomeTemplate, double escalationMinutes,
                                 String assistantId, String assistantName, double welcomeFirstTextSeconds,
                                 double welcomeCompletionSeconds, boolean welcomeUseAgent, boolean welcomeGuardEnabled,
                                 List<String> welcomeGuardPhrases) {

  /** PRD §4.3.2. */
  public static final String DEFAULT_WELCOME = "欢迎来到安美智享！🌟\n\n我是您的专属AI咨询助手，很高兴为您服务。\n"
      + "您可以随时向我咨询医美相关问题，获得个性化的美容建议。";

  public static final AutomationSettings DEFAULTS = new AutomationSettings(true, 100, List.of(5.0, 15.0, 60.0), 3,
      true, true, true, 5, DEFAULT_WELCOME, 10, "general_ai_assistant", "安美智能助手", 3.0, 30.0, true, true,
      GuardPhrases.DEFAULT_LIST);

  /**
   * Whether this user's registration is in the rollout: the low 64 bits of the (random) user id, mod 100, below
   * the percent. Deterministic, so a user is in or out for good at a given percent, and raising the percent only
   * adds users.
   */
  public boolean inRollout(UUID userId) {
    return Long.remainderUnsigned(userId.getLeastSignificantBits(), 100) < rolloutPercent;
  }

  /** Seconds before retry {@code retry} (1-based), before jitter. */
  public double retryDelaySeconds(int retry) {
    if (retryDelaysSeconds.isEmpty()) {
      return 0;
    }
    return retryDelaysSeconds.get(Math.min(retry, retryDelaysSeconds.size()) - 1);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("enabled", enabled)
        .put("rollout_percent", rolloutPercent)
        .put("retry_delays_seconds", new JsonArray(List.copyOf(retryDelaysSeconds)))
        .put("max_retries", maxRetries)
        .put("notifications", new JsonObject().put("consultants", notifyConsultants).put("web_push", notifyWebPush)
            .put("admins", notifyAdmins))
        .put("expected_response_minutes", expectedResponseMinutes)
        .put("welcome_template", welcomeTemplate)
        .put("escalation_minutes", wholeOrFraction(escalationMinutes))
        .put("assistant_id", assistantId)
        .put("assistant_name", assistantName)
        .put("welcome_first_text_seconds", welcomeFirstTextSeconds)
        .put("welcome_completion_seconds", welcomeCompletionSeconds)
        .put("welcome_use_agent", welcomeUseAgent)
        .put("welcome_guard_enabled", welcomeGuardEnabled)
        .put("welcome_guard_phrases", new JsonArray(List.copyOf(welcomeGuardPhrases)));
  }

  /** Whole minutes stay integers in JSON (10, not 10.0), so documents written before fractions look the same. */
  private static Number wholeOrFraction(double minutes) {
    return minutes == Math.rint(minutes) && Math.abs(minutes) < Integer.MAX_VALUE ? (Number) (int) minutes : minutes;
  }

  /**
   * Reads a document that {@link #check} found valid; missing keys take the defaults. Anything else may throw: read
   * stored documents with {@link #parse}.
   */
  public static AutomationSettings fromJson(JsonObject j) {
    JsonObject d = DEFAULTS.toJson().mergeIn(j, true);
    JsonObject n = d.getJsonObject("notifications");
    List<Double> delays = d.getJsonArray("retry_delays_seconds").stream()
        .map(o -> ((Number) o).doubleValue()).toList();
    return new AutomationSettings(d.getBoolean("enabled"), d.getInteger("rollout_percent"), delays,
        d.getInteger("max_retries"), n.getBoolean("consultants"), n.getBoolean("web_push"), n.getBoolean("admins"),
        d.getInteger("expected_response_minutes"), d.getString("welcome_template"),
        ((Number) d.getValue("escalation_minutes")).doubleValue(),
        d.getString("assistant_id"), d.getString("assistant_name"), d.getDouble("welcome_first_text_seconds"),
        d.getDouble("welcome_completion_seconds"), d.getBoolean("welcome_use_agent"),
        d.getBoolean("welcome_guard_enabled"), d.getJsonArray("welcome_guard_phrases").stream()
            .map(String::valueOf).map(String::strip).toList());
  }

  // ---- validation: the one set of rules for the admin API, the MCP tools and what is read back ----------------

  /** The JSON Schema the admin API publishes for the PUT body, and that every stored document must meet. */
  private static final JsonObject SCHEMA = loadSchema();
  private static final Validator VALIDATOR = Validator.create(JsonSchema.of(SCHEMA.copy()),
      new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app:///").setOutputFormat(OutputFormat.Basic));

  /** The document's fields (top level); others are ignored when a document is read or merged. */
  public static final Set<String> FIELDS = Set.copyOf(DEFAULTS.toJson().fieldNames());

  /** A document as read: the settings to run on, and what was wrong with the stored one (field → message). */
  public record Parsed(AutomationSettings settings, JsonObject problems) {
    public boolean valid() {
      return problems.isEmpty();
    }
  }

  /**
   * What is wrong with a (partial) settings document, field by field (field → message; empty when it is valid).
   * Unknown fields are not problems: they are ignored. The messages are the schema's {@code x-error} texts.
   */
  public static JsonObject check(JsonObject doc) {
    JsonObject problems = new JsonObject();
    OutputUnit out = VALIDATOR.validate(doc);
    if (Boolean.TRUE.equals(out.getValid())) {
      return problems;
    }
    JsonObject properties = SCHEMA.getJsonObject("properties");
    if (out.getErrors() != null) {
      for (OutputUnit e : out.getErrors()) {
        String field = topField(e.getInstanceLocation());
        if (field.isEmpty() || problems.containsKey(field)) {
          continue;
        }
        JsonObject prop = properties.getJsonObject(field);
        String message = prop == null ? null : prop.getString("x-error");
        problems.put(field, message != null ? message : e.getError());
      }
    }
    if (problems.isEmpty()) {
      problems.put("document", "must be a JSON object of settings");
    }
    return problems;
  }

  /**
   * Reads a stored document whatever it holds (it may have been written by SQL, an older version or a bug): valid
   * fields are used, each invalid field takes its value from {@code fallback} (the last good settings, or the
   * defaults), and the problems are reported. Never throws: a bad document must not stop the engines.
   */
  public static Parsed parse(Object stored, AutomationSettings fallback) {
    if (!(stored instanceof JsonObject doc)) {
      return new Parsed(fallback, new JsonObject().put("document", "the stored value is not a JSON object"));
    }
    JsonObject problems = check(doc);
    JsonObject usable = doc.copy();
    for (String field : problems.fieldNames()) {
      if (field.equals("notifications") && doc.getValue(field) instanceof JsonObject n) {
        JsonObject switches = new JsonObject(); // keep the switches that are booleans, drop the rest
        for (String sw : List.of("consultants", "web_push", "admins")) {
          if (n.getValue(sw) instanceof Boolean b) {
            switches.put(sw, b);
          }
        }
        usable.put(field, switches);
      } else {
        usable.remove(field);
      }
    }
    if (problems.containsKey("document")) {
      return new Parsed(fallback, problems);
    }
    JsonObject merged = fallback.toJson().mergeIn(usable, true);
    if (!check(merged).isEmpty()) {
      return new Parsed(fallback, problems); // cannot happen with the rules above; the fallback is safe anyway
    }
    return new Parsed(fromJson(merged), problems);
  }

  /** "/interests/3" or "#/notifications/web_push" → the top-level field. */
  private static String topField(String location) {
    if (location == null) {
      return "";
    }
    String s = location.startsWith("#") ? location.substring(1) : location;
    s = s.startsWith("/") ? s.substring(1) : s;
    int slash = s.indexOf('/');
    return (slash >= 0 ? s.substring(0, slash) : s).replace("~1", "/").replace("~0", "~");
  }

  private static JsonObject loadSchema() {
    try (InputStream in = AutomationSettings.class.getResourceAsStream("/schemas/automation-settings.json")) {
      if (in == null) {
        throw new IllegalStateException("missing schema automation-settings");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
