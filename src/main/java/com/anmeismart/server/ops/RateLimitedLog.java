package com.anmeismart.server.ops;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that clients can trigger at will (a malformed frame, a refused request) logged at most once per
 * interval, with the count of those left out since the last line, and never with a stack trace: an anonymous
 * client sending thousands of bad frames costs a line a minute, and the operator still learns it happens.
 * Thread-safe.
 */
public final class RateLimitedLog {

  private final Logger log;
  private final long intervalNanos;
  private final AtomicLong nextAt = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  public RateLimitedLog(Logger log, long intervalMillis) {
    this.log = log;
    this.intervalNanos = intervalMillis * 1_000_000L;
  }

  /**
   * Logs {@code format} (slf4j style) at WARN unless a line was written less than the interval ago. Arguments that
   * are exceptions are written as their message, not a stack trace.
   */
  public void warn(String format, Object... args) {
    long now = System.nanoTime();
    long next = nextAt.get();
    if (next != Long.MIN_VALUE && now - next < 0 || !nextAt.compareAndSet(next, now + intervalNanos)) {
      suppressed.incrementAndGet();
      return;
    }
    Object[] safe = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      safe[i] = args[i] instanceof Throwable t ? t.getClass().getSimpleName() + ": " + t.getMessage() : args[i];
    }
    long left = suppressed.getAndSet(0);
    log.warn(left == 0 ? format : format + " (and " + left + " more like it since the last report)", safe);
  }

  /** How many lines were left out since the last one written (for tests). */
  public long suppressed() {
    return suppressed.get();
  }
}
