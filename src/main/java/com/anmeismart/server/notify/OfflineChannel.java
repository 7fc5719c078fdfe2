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
   */
  record Outcome(boolean sent, String providerId, boolean retryable, String error) {
    static Outcome sent(String providerId) {
      return new Outcome(true, providerId, false, null);
    }

    static Outcome retry(String error) {
      return new Outcome(false, null, true, error);
    }

    static Outcome failed(String error) {
      return new Outcome(false, null, false, error);
    }
  }
}
