package com.anmeismart.server.ops;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A client-triggered flood from a library logger costs a few lines a minute, none with a stack trace. */
class ClientNoiseFilterTest {

  @Test
  void floodIsCappedAndStackTracesBecomeOneLine() {
    LoggerContext context = new LoggerContext();
    ClientNoiseFilter filter = new ClientNoiseFilter();
    filter.setLoggerPrefix("io.vertx.ext.web.handler.sockjs");
    filter.setPerMinute(3);
    filter.setContext(context);
    filter.start();
    context.addTurboFilter(filter);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.setContext(context);
    lines.start();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(lines);

    Logger bridge = context.getLogger("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl");
    Logger other = context.getLogger("com.anmeismart.server.api.ApiErrors");
    bridge.error("Invalid type in incoming message: x");
    bridge.error("SockJSSocket exception", new IllegalStateException("reset by peer"));
    for (int i = 0; i < 500; i++) {
      bridge.error("Invalid type in incoming message: " + i);
    }
    bridge.info("not a warning: left to the level settings");
    other.error("our own errors are never limited", new IllegalStateException("bug"));

    assertThat(lines.list.stream().filter(e -> e.getFormattedMessage().contains("Invalid type")
        || e.getFormattedMessage().contains("SockJSSocket"))).hasSize(3);
    ILoggingEvent rewritten = lines.list.get(1);
    assertThat(rewritten.getThrowableProxy()).isNull();
    assertThat(rewritten.getFormattedMessage()).contains("SockJSSocket exception")
        .contains("java.lang.IllegalStateException: reset by peer");
    ILoggingEvent ours = lines.list.get(lines.list.size() - 1);
    assertThat(ours.getLoggerName()).isEqualTo("com.anmeismart.server.api.ApiErrors");
    assertThat(ours.getThrowableProxy()).isNotNull();
  }
}
