package com.anmeismart.server.ops;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimitedLogTest {

  @Test
  void aFloodCostsOneLineAndTheNextLineCountsWhatWasLeftOut() {
    Logger logger = (Logger) LoggerFactory.getLogger("rate-limited-log-test");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    RateLimitedLog log = new RateLimitedLog(logger, 0); // no interval: every call logs
    RateLimitedLog minute = new RateLimitedLog(logger, 60_000);
    for (int i = 0; i < 1_000; i++) {
      minute.warn("bad frame {}: {}", i, new IllegalStateException("boom"));
    }
    assertThat(lines.list).hasSize(1);
    ILoggingEvent first = lines.list.get(0);
    assertThat(first.getFormattedMessage()).isEqualTo("bad frame 0: IllegalStateException: boom");
    assertThat(first.getThrowableProxy()).as("no stack trace").isNull();
    assertThat(minute.suppressed()).isEqualTo(999);

    log.warn("one");
    log.warn("two");
    assertThat(lines.list).hasSize(3);
  }
}
