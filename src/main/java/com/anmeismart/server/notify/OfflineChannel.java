package com.anmeismart.server.notify;

import io.vertx.core.Future;

/**
 * An offline channel to a consultant (Web Push; WeCom adds its own): sends one {@link OfflineSends.Due} row and says
 * how it went. The {@link OfflineSender} records the outcome on the row, retries from it, and never sends a row
 * twice.
 */
interface OfflineChannel {

  /** The {@code offline_sends.channel} value. */
  String name();

  Future<Outcome> send(OfflineSends.Due due);

  /**
   * @param sent       the provider accepted it ({@code providerId} its message id, if any)
   * @param retryable  not sent, but it may work later (a timeout, a 5xx, a rate limit)
   * @param error      why not, for the row and the timeline
   * @param retryIn    a provider's rate limit: retry after this many seconds, for up to
   *                   {@link OfflineSender#THROTTLED_ATTEMPTS} attempts; 0: the ladder's usual back-off
   */
  record Outcome(boolean sent, String providerId, boolean retryable, String error, double retryIn) {
    static Outcome sent(String providerId) {
      return new Outcome(true, providerId, false, null, 0);
    }

    static Outcome retry(String error) {
      return new Outcome(false, null, true, error, 0);
    }

    /** Refused by a rate limit (WeCom 45009/45033): tried again from the row in {@code seconds}. */
    static Outcome throttled(String error, double seconds) {
      return new Outcome(false, null, true, error, seconds);
    }

    static Outcome failed(String error) {
      return new Outcome(false, null, false, error, 0);
    }
  }
}
