package com.anmeismart.server.ops;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Set;

/**
 * {@code LOG_FORMAT}: {@code text} (the default) or {@code json} (logback's {@code JsonEncoder}, one object per
 * line). logback.xml picks its console appender by that variable, which logback resolves from system properties,
 * then the environment, when logging starts — before the config file is read. So the launcher first makes sure
 * the variable names an appender (an unknown value would leave the server silent), and once the configuration is
 * resolved, a format that only the config file names is applied by loading logback.xml again.
 */
public final class LogFormat {

  public static final Set<String> FORMATS = Set.of("text", "json");
  private static final String KEY = "LOG_FORMAT";

  private LogFormat() {
  }

  /**
   * Before the first log line: the variable as logback.xml needs it (lower case), and text for an unknown value
   * (the configuration check then refuses the value with a message that can be read).
   */
  public static void prepare() {
    System.setProperty(KEY, FORMATS.contains(active()) ? active() : "text");
  }

  /** The format logging uses now. */
  public static String active() {
    String v = System.getProperty(KEY, System.getenv(KEY));
    return v == null || v.isBlank() ? "text" : v.trim().toLowerCase(Locale.ROOT);
  }

  /** Switches logging to {@code format} when it is not already the active one. */
  public static void apply(String format) {
    if (format.equals(active()) || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    System.setProperty(KEY, format);
    context.reset();
    try {
      new ContextInitializer(context).autoConfig();
    } catch (Exception e) {
      throw new IllegalStateException("logging could not be configured for LOG_FORMAT=" + format, e);
    }
  }
}
