package com.anmeismart.server.ops;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * What every log line says about where it comes from: the node's name ({@code NODE_NAME}), a logback context
 * property that the pattern in {@code logback.xml} prints ({@code %property{node}}), so the lines of several nodes
 * collected in one place tell which node wrote them.
 */
public final class LogContext {

  /** The logback context property holding the node's name. */
  public static final String NODE = "node";

  private LogContext() {
  }

  public static void nodeName(String name) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty(NODE, name);
    }
  }
}
