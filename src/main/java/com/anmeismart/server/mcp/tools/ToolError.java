package com.anmeismart.server.mcp.tools;

/**
 * A tool's own failure, told to the caller as an {@code isError} result with this message (bad argument, not found,
 * not allowed). Control flow, so no stack trace.
 */
public final class ToolError extends RuntimeException {

  public ToolError(String message) {
    super(message, null, false, false);
  }
}
