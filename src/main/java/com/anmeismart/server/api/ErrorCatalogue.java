package com.anmeismart.server.api;

import java.util.Map;

/**
 * Every error code of the API with the zh-CN text the pages show ({@code message_zh}), in one place. The English
 * {@code message} stays with the code that raises the error (it may name ids or values, for developers); the
 * zh-CN text is written here once per code, for people. A code missing here still gets its status's text, and
 * {@code ErrorCatalogueTest} fails the build for any code raised in main code that has no entry.
 */
public final class ErrorCatalogue {

  /** zh-CN per error code. Keep it sorted by area; add a line when adding a code. */
  private static final Map<String, String> ZH = Map.ofEntries(
      // status-level codes (also used by the router and the HTTP decoder)
      Map.entry("bad_request", "请求格式不正确"),
      Map.entry("unauthorized", "请先登录（登录已失效或令牌无效）"),
      Map.entry("forbidden", "没有权限执行此操作"),
      Map.entry("not_found", "未找到所请求的内容"),
      Map.entry("method_not_allowed", "不支持该请求方法"),
      Map.entry("not_acceptable", "无法提供所请求的内容格式"),
      Map.entry("conflict", "操作与当前状态冲突，请刷新后重试"),
      Map.entry("payload_too_large", "提交的内容过大"),
      Map.entry("uri_too_long", "请求地址过长"),
      Map.entry("unsupported_media_type", "请求内容须为 JSON（Content-Type: application/json）"),
      Map.entry("expectation_failed", "不支持该 Expect 请求头"),
      Map.entry("headers_too_large", "请求头过大"),
      Map.entry("rate_limited", "操作过于频繁，请稍后再试"),
      Map.entry("internal_error", "服务器内部错误，请稍后再试"),
      Map.entry("service_unavailable", "服务暂时不可用，请稍后再试"),
      Map.entry("server_busy", "服务器繁忙，请稍后再试"),
      // request bodies and parameters
      Map.entry("invalid_json", "请求内容不是有效的 JSON 对象"),
      Map.entry("validation_failed", "部分字段填写有误"),
      Map.entry("invalid_parameter", "查询参数有误"),
      Map.entry("invalid_frame", "实时连接的消息格式不正确"),
      // accounts
      Map.entry("invalid_credentials", "用户名、邮箱或密码错误"),
      Map.entry("account_disabled", "该账号已被停用"),
      Map.entry("username_taken", "该用户名已被注册"),
      Map.entry("email_taken", "该邮箱已被注册"),
      Map.entry("idempotency_key_reused", "该 Idempotency-Key 已用于另一份不同的请求，新的请求请使用新的 Key"),
      Map.entry("idempotency_key_in_use", "使用该 Idempotency-Key 的请求正在处理中，请稍后重试"),
      Map.entry("wecom_userid_taken", "该企业微信账号已被其他员工使用"),
      Map.entry("self_lockout", "不能取消自己的管理员角色，也不能停用自己的账号"),
      // conversations
      Map.entry("already_claimed", "该客户已被其他顾问认领"),
      Map.entry("conversation_changed", "会话状态已变化（已被他人认领或已关闭），请刷新"),
      Map.entry("offer_pending", "该客户正在分配给其他顾问，请稍后再试"),
      Map.entry("offer_expired", "分配已超时，该客户已转给其他顾问"),
      Map.entry("offer_not_yours", "该客户没有分配给您"),
      Map.entry("conversation_not_yours", "只有认领该客户的顾问才能结束会话"),
      // automation, Dify, MCP
      Map.entry("job_not_retryable", "只有失败或已终止的任务可以重试"),
      Map.entry("name_taken", "该名称已被使用"),
      Map.entry("admin_protected", "管理员账号只能通过管理接口修改"),
      Map.entry("mcp_unavailable", "MCP 服务没有响应，请稍后再试"),
      Map.entry("unknown_tool", "没有这个工具，或它不在该密钥的工具组中"),
      // WeCom (企业微信)
      Map.entry("wecom_no_userid", "您的账号还没有填写企业微信账号，请先在“员工”中填写"),
      Map.entry("wecom_not_configured", "企业微信通知未开启或未配置完整（企业ID、AgentId、Secret）"),
      Map.entry("wecom_refused", "企业微信没有送达测试消息，请检查配置和企业微信账号"));

  /** Code, English and zh-CN text per HTTP status: for errors raised without a code of their own. */
  private record Status(String code, String message, String zh) {
  }

  private static final Map<Integer, Status> STATUS = Map.ofEntries(
      status(400, "bad_request", "Bad request"),
      status(401, "unauthorized", "Authentication required or token invalid"),
      status(403, "forbidden", "Not allowed"),
      status(404, "not_found", "No such resource"),
      status(405, "method_not_allowed", "Method not allowed"),
      status(406, "not_acceptable", "Not acceptable"),
      status(409, "conflict", "Conflict"),
      status(413, "payload_too_large", "Request body too large"),
      status(414, "uri_too_long", "Request URI too long"),
      status(415, "unsupported_media_type", "Content-Type must be application/json"),
      status(417, "expectation_failed", "Only the Expect: 100-continue expectation is supported"),
      status(429, "rate_limited", "Too many requests"),
      status(431, "headers_too_large", "Request header fields too large"),
      status(500, "internal_error", "Internal error"),
      status(503, "service_unavailable", "Service unavailable"));

  private ErrorCatalogue() {
  }

  private static Map.Entry<Integer, Status> status(int status, String code, String message) {
    return Map.entry(status, new Status(code, message, ZH.get(code)));
  }

  /** The zh-CN text of {@code code}; for a code without an entry, its status's text. */
  public static String zh(String code, int status) {
    String zh = ZH.get(code);
    return zh != null ? zh : statusZh(status);
  }

  /** Whether {@code code} has its own zh-CN text. */
  public static boolean has(String code) {
    return ZH.containsKey(code);
  }

  /** The code for an error that has only a status (the router's 404/405, the decoder's 414 …). */
  public static String statusCode(int status) {
    Status s = STATUS.get(status);
    return s != null ? s.code() : status >= 500 ? "internal_error" : "bad_request";
  }

  /** The English message for an error that has only a status. */
  public static String statusMessage(int status) {
    Status s = STATUS.get(status);
    return s != null ? s.message() : "Request failed (HTTP " + status + ")";
  }

  private static String statusZh(int status) {
    Status s = STATUS.get(status);
    if (s != null) {
      return s.zh();
    }
    return status >= 500 ? ZH.get("internal_error") : "请求失败";
  }
}
