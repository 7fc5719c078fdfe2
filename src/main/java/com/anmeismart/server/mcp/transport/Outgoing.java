package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * What a handshake-era session's messages become on their way out, in one place for every transport (Streamable
 * HTTP, legacy SSE, stdio):
 * <ul>
 *   <li>Tool output schemas and {@code structuredContent} go only to sessions that negotiated 2025-06-18 or later
 *   (the revision that introduced them); older sessions get neither field, the text content stays for everyone.</li>
 *   <li>An internal error never carries the exception text: the SDK answers an unexpected exception with -32603 and
 *   the exception's message (Java class names, Jackson's wording). The caller gets "Internal error"; the text goes
 *   to the log with a reference the caller sees.</li>
 * </ul>
 * The negotiated revision is set when the transport starts the session, or read from the {@code initialize} answer
 * as it goes out (legacy SSE, stdio: there the SDK answers initialize itself).
 */
public final class Outgoing {

  private static final Logger LOG = LoggerFactory.getLogger(Outgoing.class);

  private volatile String version;

  /** @param version the negotiated revision, or null until the initialize answer goes out */
  public Outgoing(String version) {
    this.version = version;
  }

  public String version() {
    return version;
  }

  /** The message to send instead of {@code message} (the same instance when nothing changes). */
  public McpSchema.JSONRPCMessage rewrite(McpSchema.JSONRPCMessage message) {
    if (!(message instanceof McpSchema.JSONRPCResponse r)) {
      return message;
    }
    if (r.error() != null) {
      return r.error().code() != null && r.error().code() == JsonRpc.INTERNAL_ERROR ? internal(r) : r;
    }
    Object result = r.result();
    if (result instanceof McpSchema.InitializeResult init) {
      version = init.protocolVersion();
      return r;
    }
    if (Versions.hasStructuredOutput(version)) {
      return r;
    }
    if (result instanceof McpSchema.ListToolsResult list) {
      List<McpSchema.Tool> tools = list.tools().stream().map(Outgoing::withoutOutputSchema).toList();
      return McpSchema.JSONRPCResponse.result(r.id(), new McpSchema.ListToolsResult(tools, list.nextCursor(),
          list.meta()));
    }
    if (result instanceof McpSchema.CallToolResult call && call.structuredContent() != null) {
      return McpSchema.JSONRPCResponse.result(r.id(), new McpSchema.CallToolResult(call.content(), call.isError(),
          null, call.meta()));
    }
    return r;
  }

  private static McpSchema.Tool withoutOutputSchema(McpSchema.Tool t) {
    return t.outputSchema() == null ? t : new McpSchema.Tool(t.name(), t.title(), t.description(), t.inputSchema(),
        null, t.annotations(), t.meta(), t.icons());
  }

  private static McpSchema.JSONRPCResponse internal(McpSchema.JSONRPCResponse r) {
    String ref = Long.toHexString(System.nanoTime());
    String text = String.valueOf(r.error().message());
    LOG.warn("MCP request {} failed inside the SDK (ref {}): {}", r.id(), ref,
        text.length() > 300 ? text.substring(0, 300) + "…" : text);
    return McpSchema.JSONRPCResponse.error(r.id(), new McpSchema.JSONRPCResponse.JSONRPCError(JsonRpc.INTERNAL_ERROR,
        "Internal error (ref " + ref + ")", null));
  }
}
