package com.anmeismart.server.settings;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * How consultants are told about new customers (SPEC §7, {@code /admin/notification-settings}), read by the
 * NotificationVerticle for every new customer, offer and live copy: a change applies to the next one.
 *
 * @param assignmentMode       {@code broadcast} (every consultant, first claim wins), {@code round_robin} or
 *                             {@code least_loaded} (one consultant at a time is offered the customer)
 * @param offerSeconds         an offer not accepted this long goes to the next consultant (3–600)
 * @param ackSeconds           a live copy the page has not acknowledged this long goes out on the offline channels
 *                             (2–300): the alert ladder
 * @param maxOpenConversations a consultant with this many open conversations (claimed, not closed; live offers count
 *                             too) is offered no more customers (1–500)
 * @param wecomEnabled         WeCom (企业微信) application messages on or off; null: not saved, the {@code WECOM_*}
 *                             env values decide (on when corp id, agent id and secret are all given)
 * @param wecomCorpId          the corp id (企业ID); null: not saved, {@code WECOM_CORP_ID} applies
 * @param wecomAgentId         the self-built app's AgentId; null: not saved, {@code WECOM_AGENT_ID} applies. (The
 *                             secret is not in this document: notify/wecom/WeComStore keeps it sealed, so neither the
 *                             audit nor an export carries it.)
 */
public record NotificationSettings(String assignmentMode, int offerSeconds, int ackSeconds,
                                   int maxOpenConversations, Boolean wecomEnabled, String wecomCorpId,
                                   Integer wecomAgentId) {

  public static final String BROADCAST = "broadcast";
  public static final String ROUND_ROBIN = "round_robin";
  public static final String LEAST_LOADED = "least_loaded";

  public static final NotificationSettings DEFAULTS = new NotificationSettings(BROADCAST, 60, 10, 20, null, null,
      null);

  private static final SchemaRules RULES = new SchemaRules("notification-settings");
  private static final Set<String> FIELDS = Set.of("assignment_mode", "offer_seconds", "ack_seconds",
      "max_open_conversations", "wecom_enabled", "wecom_corp_id", "wecom_agent_id");

  /** Whether customers are offered to one consultant at a time. */
  public boolean offers() {
    return !BROADCAST.equals(assignmentMode);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("assignment_mode", assignmentMode).put("offer_seconds", offerSeconds)
        .put("ack_seconds", ackSeconds).put("max_open_conversations", maxOpenConversations);
    // the WeCom fields only once saved: absent, the env values are their defaults (see NotificationSettingsApi)
    if (wecomEnabled != null) {
      json.put("wecom_enabled", wecomEnabled);
    }
    if (wecomCorpId != null) {
      json.put("wecom_corp_id", wecomCorpId);
    }
    if (wecomAgentId != null) {
      json.put("wecom_agent_id", wecomAgentId);
    }
    return json;
  }

  /** The document's definition for {@link SettingsStore}. */
  static final SettingsDocument<NotificationSettings> DOCUMENT = new SettingsDocument<>() {
    @Override
    public String key() {
      return SettingsStore.NOTIFICATION_KEY;
    }

    @Override
    public String label() {
      return "通知设置";
    }

    @Override
    public NotificationSettings defaults() {
      return DEFAULTS;
    }

    @Override
    public JsonObject toJson(NotificationSettings settings) {
      return settings.toJson();
    }

    @Override
    public NotificationSettings fromJson(JsonObject valid) {
      JsonObject d = DEFAULTS.toJson().mergeIn(valid, false);
      return new NotificationSettings(d.getString("assignment_mode"), d.getInteger("offer_seconds"),
          d.getInteger("ack_seconds"), d.getInteger("max_open_conversations"), d.getBoolean("wecom_enabled"),
          d.getString("wecom_corp_id"), d.getInteger("wecom_agent_id"));
    }

    @Override
    public JsonObject check(JsonObject document) {
      return RULES.check(document);
    }

    @Override
    public Set<String> fields() {
      return FIELDS;
    }

    @Override
    public Read<NotificationSettings> parse(Object stored, NotificationSettings fallback) {
      if (!(stored instanceof JsonObject doc)) {
        return new Read<>(fallback, new JsonObject().put("document", "the stored value is not a JSON object"));
      }
      JsonObject problems = check(doc);
      if (problems.containsKey("document")) {
        return new Read<>(fallback, problems);
      }
      JsonObject usable = doc.copy();
      problems.fieldNames().forEach(usable::remove);
      return new Read<>(fromJson(fallback.toJson().mergeIn(usable, false)), problems);
    }
  };
}
