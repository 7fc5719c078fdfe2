package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.spec.McpSchema;

import java.util.Map;
import java.util.Set;

/**
 * The params of the requests the SDK serves, checked before the SDK sees them. The SDK converts params with Jackson
 * and, when they don't fit, answers -32603 with Jackson's message, or (tools/call on Streamable HTTP) fails outside
 * its own error handling, so the request got no answer at all. JSON-RPC 2.0 §5.1: invalid method parameters are
 * -32602 "Invalid params"; the message here is plain and names the field.
 */
final class RequestCheck {

  /** MCP "Logging": the RFC 5424 severities, the only values of {@code logging/setLevel}'s {@code level}. */
  private static final Set<String> LEVELS = Set.of("debug", "info", "notice", "warning", "error", "critical",
      "alert", "emergency");

  private RequestCheck() {
  }

  /** What is wrong with the request's params, or null when they are fine (or the method is not the SDK's). */
  static String problem(McpSchema.JSONRPCRequest request) {
    Object params = request.params();
    if (params != null && !(params instanceof Map)) {
      return "Invalid params: params must be an object";
    }
    Map<?, ?> p = params == null ? Map.of() : (Map<?, ?>) params;
    if (p.containsKey("_meta") && !(p.get("_meta") instanceof Map)) {
      return "Invalid params: _meta must be an object";
    }
    return switch (request.method()) {
      case McpSchema.METHOD_INITIALIZE -> initialize(p);
      case McpSchema.METHOD_TOOLS_CALL -> toolCall(p);
      case McpSchema.METHOD_TOOLS_LIST -> p.get("cursor") == null || p.get("cursor") instanceof String ? null
          : "Invalid params: cursor must be a string";
      case McpSchema.METHOD_LOGGING_SET_LEVEL -> p.get("level") instanceof String s && LEVELS.contains(s) ? null
          : "Invalid params: level must be one of debug, info, notice, warning, error, critical, alert, emergency";
      default -> null;
    };
  }

  private static String initialize(Map<?, ?> p) {
    // A revision is a short token (a date): anything else is refused here, before the SDK logs it as it came.
    if (!(p.get("protocolVersion") instanceof String v) || !v.matches("[!-~]{1,64}")) {
      return "Invalid params: initialize needs protocolVersion (a revision such as 2025-11-25)";
    }
    if (p.get("capabilities") != null && !(p.get("capabilities") instanceof Map)) {
      return "Invalid params: capabilities must be an object";
    }
    Object info = p.get("clientInfo");
    if (info != null && !(info instanceof Map<?, ?> m && m.get("name") instanceof String name && printable(name)
        && (m.get("version") == null || m.get("version") instanceof String version && printable(version)))) {
      return "Invalid params: clientInfo must be an object with a name (and a version), printable text";
    }
    return null;
  }

  /** Short text without control characters: the SDK writes client names to the log. */
  private static boolean printable(String s) {
    return s.length() <= 256 && s.chars().noneMatch(c -> c < 0x20 || c == 0x7F);
  }

  private static String toolCall(Map<?, ?> p) {
    if (!(p.get("name") instanceof String name) || name.isEmpty()) {
      return "Invalid params: tools/call needs the tool's name (a string)";
    }
    Object args = p.get("arguments");
    return args == null || args instanceof Map ? null : "Invalid params: arguments must be an object";
  }
}
