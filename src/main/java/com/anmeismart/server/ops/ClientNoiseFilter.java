package com.anmeismart.server.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * A logback turbo filter for libraries whose warnings and errors any client can trigger at will. The SockJS event-bus
 * bridge of vertx-web logs at ERROR for each frame of an unknown type, at WARN for each refused registration, and
 * with a full stack trace for each socket a client breaks off: an anonymous client sending frames in a loop would
 * fill the disk. For loggers under {@code loggerPrefix}, at most {@code perMinute} WARN/ERROR lines a minute pass,
 * each without its stack trace (written as one line with the exception's class and message instead); the next line
 * after a quiet spell says how many were left out. Configured in {@code logback.xml}.
 */
public final class ClientNoiseFilter extends TurboFilter {

  private static final String REWRITTEN = ClientNoiseFilter.class.getName();

  private String loggerPrefix = "io.vertx.ext.web.handler.sockjs";
  private int perMinute = 6;
  private long windowStart;
  private int inWindow;
  private long suppressed;

  public void setLoggerPrefix(String loggerPrefix) {
    this.loggerPrefix = loggerPrefix;
  }

  public void setPerMinute(int perMinute) {
    this.perMinute = perMinute;
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    // (not logger.isEnabledFor: it asks the turbo filters, this one included)
    if (logger == null || level == null || !level.isGreaterOrEqual(Level.WARN) || !logger.getName().startsWith(loggerPrefix)
        || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    long left;
    synchronized (this) {
      long now = System.currentTimeMillis();
      if (now - windowStart >= 60_000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > perMinute) {
        suppressed++;
        return FilterReply.DENY;
      }
      left = suppressed;
      suppressed = 0;
    }
    Throwable cause = t != null ? t : MessageFormatter.getThrowableCandidate(params);
    if (cause == null && left == 0) {
      return FilterReply.NEUTRAL;
    }
    String text = MessageFormatter.arrayFormat(format, params).getMessage();
    String line = "[" + logger.getName() + "] " + text
        + (cause == null ? "" : " (" + cause.getClass().getName() + ": " + cause.getMessage() + ")")
        + (left == 0 ? "" : " (" + left + " more lines from " + loggerPrefix + " left out in the last minutes)");
    Logger out = logger.getLoggerContext().getLogger(REWRITTEN);
    if (level == Level.ERROR) {
      out.error(line);
    } else {
      out.warn(line);
    }
    return FilterReply.DENY;
  }
}
