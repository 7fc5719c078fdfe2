package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;

/**
 * The stdio transport is the SDK's own ({@code StdioServerTransportProvider}), so the rules the HTTP transports apply
 * at their seam are applied here, in the JSON mapper it reads and writes with: every message it writes goes through
 * {@link Outgoing} (revision-dependent fields, internal errors without Java text), and the params of the requests the
 * SDK serves are checked by {@link RequestCheck} when the SDK converts them, so bad ones get -32602 with a plain
 * message (the SDK passes an {@link McpError} through as it is).
 */
public final class StdioMapper implements McpJsonMapper {

  private static final Map<Type, String> CHECKED = Map.of(
      McpSchema.InitializeRequest.class, McpSchema.METHOD_INITIALIZE,
      McpSchema.CallToolRequest.class, McpSchema.METHOD_TOOLS_CALL,
      McpSchema.SetLevelRequest.class, McpSchema.METHOD_LOGGING_SET_LEVEL);

  private final McpJsonMapper delegate;
  private final Outgoing out = new Outgoing(null);

  public StdioMapper(McpJsonMapper delegate) {
    this.delegate = delegate;
  }

  @Override
  public <T> T convertValue(Object from, TypeRef<T> type) {
    String method = CHECKED.get(type.getType());
    if (method != null) {
      String problem = RequestCheck.problem(new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, method, 0, from));
      if (problem != null) {
        throw McpError.builder(JsonRpc.INVALID_PARAMS).message(problem).build();
      }
    }
    return delegate.convertValue(from, type);
  }

  @Override
  public String writeValueAsString(Object value) throws IOException {
    return delegate.writeValueAsString(value instanceof McpSchema.JSONRPCMessage m ? out.rewrite(m) : value);
  }

  @Override
  public byte[] writeValueAsBytes(Object value) throws IOException {
    return delegate.writeValueAsBytes(value instanceof McpSchema.JSONRPCMessage m ? out.rewrite(m) : value);
  }

  @Override
  public <T> T readValue(String content, Class<T> type) throws IOException {
    return delegate.readValue(content, type);
  }

  @Override
  public <T> T readValue(byte[] content, Class<T> type) throws IOException {
    return delegate.readValue(content, type);
  }

  @Override
  public <T> T readValue(String content, TypeRef<T> type) throws IOException {
    return delegate.readValue(content, type);
  }

  @Override
  public <T> T readValue(byte[] content, TypeRef<T> type) throws IOException {
    return delegate.readValue(content, type);
  }

  @Override
  public <T> T convertValue(Object from, Class<T> type) {
    return delegate.convertValue(from, type);
  }
}
