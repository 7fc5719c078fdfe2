package com.anmeismart.server.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/** Waiting for an outcome with a deadline: polls a condition, never sleeps a fixed time as synchronisation. */
public final class Poll {

  private Poll() {
  }

  /** Returns the first non-null, non-false value of {@code probe}, or fails after {@code timeout}. */
  public static <T> T until(Duration timeout, String what, Callable<T> probe) {
    Instant deadline = Instant.now().plus(timeout);
    Throwable last = null;
    while (true) {
      try {
        T value = probe.call();
        if (value != null && !Boolean.FALSE.equals(value)) {
          return value;
        }
      } catch (Exception e) {
        last = e;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what, last);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }
}
