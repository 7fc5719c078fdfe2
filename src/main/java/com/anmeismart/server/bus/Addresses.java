package com.anmeismart.server.bus;

/**
 * Every event-bus address of the server: the only contract between verticles besides the payload records in this
 * package. Addresses starting with {@code client.} are the ones the SockJS bridge may carry to browsers.
 *
 * <p>On a cluster ({@code CLUSTER=true}) each address is one of two kinds, said below for each: <b>cluster</b>
 * (a publish reaches every node's consumers: nudges, change announcements, browser events, whatever node the socket
 * is on) or <b>local</b> (a request answered by a verticle of the asking node, registered with
 * {@code localConsumer}: a request never waits on another node, and another node's death or a stale subscription
 * left by it can't swallow it). Nothing is sent point-to-point across nodes except a legacy SSE session's messages
 * ({@link #mcpSseSession}).
 */
public final class Addresses {

  /** Cluster. Nudge (publish, no body): automation jobs are due; every engine, on any node, claims what it can. */
  public static final String AUTOMATION_WAKE = "automation.wake";
  /** Local. Request {@link WelcomeRequest} → reply {@link WelcomeResult}: write the welcome for a new customer. */
  public static final String WELCOME_GENERATE = "dify.welcome.generate";
  /**
   * Local. Request {@link NewCustomer} → reply {@link NotifyResult}: put a new customer in front of the consultants.
   */
  public static final String NOTIFY_NEW_CUSTOMER = "notify.new-customer";
  /**
   * Local. Publish {@link AdminAlert}: something needs an administrator (no consultant at all, invalid settings, …);
   * written by the node that saw it (its inbox rows are idempotent by the alert's dedupe key).
   */
  public static final String ADMIN_ALERTS = "admin.alerts";
  /**
   * Cluster. Nudge (publish, no body): the admin-alert outbox has a new row (a dead job); a NotificationVerticle
   * delivers pending rows now instead of at its next sweep (rows are leased: one node delivers each).
   */
  public static final String ADMIN_ALERT_OUTBOX = "admin.alerts.outbox";

  /** Local. Request {@link ChatRequest} → reply {@link ChatResult}: one chat turn with the Dify app of a purpose. */
  public static final String DIFY_CHAT = "dify.chat";
  /** Local. Request (no body) → reply JSON {@code {breakers: {name: state}}}: this node's gateway, for /ready. */
  public static final String DIFY_STATUS = "dify.status";
  /**
   * Local. Request (config id as a string) → reply JSON {@code {ok, status, latency_ms, info | error}}: GET /v1/info.
   */
  public static final String DIFY_PROBE = "dify.probe";
  /** Cluster. Publish (no body): Dify configs changed; every node's gateway reloads them. */
  public static final String DIFY_CONFIGS_CHANGED = "dify.configs.changed";

  /** Cluster. Publish, body = the settings key: a settings document changed; every node's caches drop it. */
  public static final String SETTINGS_CHANGED = "settings.changed";

  /**
   * Cluster. Publish, no body: the MCP configuration (groups, keys, tools) changed in PostgreSQL; every node's MCP
   * server reloads and tells the affected sessions and streams it holds {@code notifications/tools/list_changed}.
   */
  public static final String MCP_CONFIG_CHANGED = "mcp.config.changed";
  /**
   * Local. Request, no body → reply once this process's MCP server has reloaded its configuration: lets the admin
   * API answer only when a change is in force here ("applies to the next request"); the other nodes follow on
   * {@link #MCP_CONFIG_CHANGED} within milliseconds.
   */
  public static final String MCP_CONFIG_SYNC = "mcp.config.sync";
  /** Local. Request, no body → reply {@code {groups, sessions}}: this node's MCP server is up (readiness). */
  public static final String MCP_STATUS = "mcp.status";
  /** Local. Request → reply JSON (enabled, configured, token obtainable): this node's WeCom channel (/ready, console). */
  public static final String WECOM_STATUS = "notify.wecom.status";
  /** Local. "Send a test message to me" ({@link WeComTest} → {@link WeComTestResult}). */
  public static final String WECOM_TEST = "notify.wecom.test";
  /**
   * Local. Request {@link ToolTestRequest} → reply {@link ToolTestResult}: an administrator's test call of a tool.
   */
  public static final String MCP_TOOL_TEST = "mcp.tool.test";

  /**
   * Cluster. Publish, body = a handshake-era MCP session id: its client ended it (DELETE) on some node; every node
   * drops its copy of the session.
   */
  public static final String MCP_SESSION_ENDED = "mcp.session.ended";
  /** Cluster, point-to-point: a legacy SSE session's messages, relayed to the node holding its stream. */
  public static final String MCP_SSE_SESSION_PREFIX = "mcp.sse.";

  /** Cluster. Broadcast to every consultant page (e.g. "claimed"), whatever node its socket is on. */
  public static final String CLIENT_CONSULTANTS = "client.consultants";

  /** Cluster. Broadcast to every admin page: admin alerts as they are written to the admins' inboxes. */
  public static final String CLIENT_ADMINS = "client.admins";

  public static final String CLIENT_CONVERSATION_PREFIX = "client.conversation.";
  public static final String CLIENT_CONSULTANT_PREFIX = "client.consultant.";

  private Addresses() {
  }

  /**
   * Cluster. Where a customer's page hears about its conversation: the welcome (streamed and whole) and chat
   * messages.
   */
  public static String clientConversation(Object conversationId) {
    return CLIENT_CONVERSATION_PREFIX + conversationId;
  }

  /** Cluster. One consultant's own address: new-customer notifications, inbox updates. */
  public static String clientConsultant(Object consultantId) {
    return CLIENT_CONSULTANT_PREFIX + consultantId;
  }

  /** Where the node holding a legacy SSE session's stream takes messages POSTed to other nodes. */
  public static String mcpSseSession(String sessionId) {
    return MCP_SSE_SESSION_PREFIX + sessionId;
  }
}
