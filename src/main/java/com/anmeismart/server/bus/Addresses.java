package com.anmeismart.server.bus;

/**
 * Every event-bus address of the server: the only contract between verticles besides the payload records in this
 * package. Addresses starting with {@code client.} are the ones the SockJS bridge may carry to browsers.
 */
public final class Addresses {

  /** Nudge (publish, no body): automation jobs are due; every engine claims what it can. */
  public static final String AUTOMATION_WAKE = "automation.wake";
  /** Request {@link WelcomeRequest} → reply {@link WelcomeResult}: write the welcome for a new customer. */
  public static final String WELCOME_GENERATE = "dify.welcome.generate";
  /** Request {@link NewCustomer} → reply {@link NotifyResult}: put a new customer in front of the consultants. */
  public static final String NOTIFY_NEW_CUSTOMER = "notify.new-customer";
  /** Publish {@link AdminAlert}: something needs an administrator (no consultant at all, invalid settings, …). */
  public static final String ADMIN_ALERTS = "admin.alerts";
  /**
   * Nudge (publish, no body): the admin-alert outbox has a new row (a dead job); the NotificationVerticle delivers
   * pending rows now instead of at its next sweep.
   */
  public static final String ADMIN_ALERT_OUTBOX = "admin.alerts.outbox";

  /** Request {@link ChatRequest} → reply {@link ChatResult}: one chat turn with the Dify app of a purpose. */
  public static final String DIFY_CHAT = "dify.chat";
  /** Request (no body) → reply JSON {@code {breakers: {name: state}}}: the gateway's health, for /ready. */
  public static final String DIFY_STATUS = "dify.status";
  /** Request (config id as a string) → reply JSON {@code {ok, status, latency_ms, info | error}}: GET /v1/info. */
  public static final String DIFY_PROBE = "dify.probe";
  /** Publish (no body): Dify configs changed; the gateway reloads them. */
  public static final String DIFY_CONFIGS_CHANGED = "dify.configs.changed";

  /** Publish, body = the settings key: a settings document changed; caches drop it. */
  public static final String SETTINGS_CHANGED = "settings.changed";

  /**
   * Publish, no body: the MCP configuration (groups, keys, tools) changed in PostgreSQL; every MCP server reloads
   * and tells the affected sessions {@code notifications/tools/list_changed}.
   */
  public static final String MCP_CONFIG_CHANGED = "mcp.config.changed";
  /**
   * Request (local only), no body → reply once this process's MCP server has reloaded its configuration: lets the
   * admin API answer only when a change is in force ("applies to the next request").
   */
  public static final String MCP_CONFIG_SYNC = "mcp.config.sync";
  /** Request, no body → reply {@code {groups, sessions}}: the MCP server is up (readiness). */
  public static final String MCP_STATUS = "mcp.status";
  /** The WeCom channel's state (a JsonObject: enabled, configured, token obtainable), for /ready and the console. */
  public static final String WECOM_STATUS = "notify.wecom.status";
  /** "Send a test message to me" ({@link WeComTest} → {@link WeComTestResult}). */
  public static final String WECOM_TEST = "notify.wecom.test";
  /** Request {@link ToolTestRequest} → reply {@link ToolTestResult}: an administrator's test call of a tool. */
  public static final String MCP_TOOL_TEST = "mcp.tool.test";

  /** Broadcast to every consultant page (e.g. "claimed"). */
  public static final String CLIENT_CONSULTANTS = "client.consultants";

  /** Broadcast to every admin page: admin alerts as they are written to the admins' inboxes. */
  public static final String CLIENT_ADMINS = "client.admins";

  public static final String CLIENT_CONVERSATION_PREFIX = "client.conversation.";
  public static final String CLIENT_CONSULTANT_PREFIX = "client.consultant.";

  private Addresses() {
  }

  /** Where a customer's page hears about its conversation: the welcome (streamed and whole) and chat messages. */
  public static String clientConversation(Object conversationId) {
    return CLIENT_CONVERSATION_PREFIX + conversationId;
  }

  /** One consultant's own address: new-customer notifications, inbox updates. */
  public static String clientConsultant(Object consultantId) {
    return CLIENT_CONSULTANT_PREFIX + consultantId;
  }
}
