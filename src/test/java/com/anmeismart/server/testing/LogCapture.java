package com.anmeismart.server.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The server's log lines while a test runs (the server runs in the test's JVM, so its logback is this one): for
 * asserting what an attacker's input costs in the log (no stack traces, rate-limited warnings).
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  public static LogCapture capture() {
    LogCapture capture = new LogCapture();
    capture.setName("test-capture");
    capture.start();
    capture.root.addAppender(capture);
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    events.add(event);
  }

  public List<ILoggingEvent> events(Predicate<ILoggingEvent> match) {
    return events.stream().filter(match).toList();
  }

  /** One line per event: level, logger, message, and the exception class if it carried one. */
  public static String describe(List<ILoggingEvent> events) {
    StringBuilder b = new StringBuilder();
    for (ILoggingEvent e : events) {
      b.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(" - ").append(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        b.append(" [").append(e.getThrowableProxy().getClassName()).append(']');
      }
      b.append('\n');
    }
    return b.toString();
  }

  @Override
  public void close() {
    root.detachAppender(this);
    stop();
  }
}
