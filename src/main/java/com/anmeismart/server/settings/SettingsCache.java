package com.anmeismart.server.settings;

import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * A verticle's view of the automation settings: re-read at most every few seconds, and at once when an admin
 * changes them ({@link Addresses#SETTINGS_CHANGED}). Used on the verticle's own context only, so it needs no locks.
 */
public final class SettingsCache {

  private static final long TTL_MS = 5_000;

  private final SettingsStore store;
  private final MessageConsumer<String> changed;
  private Future<AutomationSettings> settings;
  private long loadedAt;

  /** Call from the verticle's {@code start()}: the change listener lives on its context. */
  public SettingsCache(Vertx vertx, SettingsStore store) {
    this.store = store;
    this.changed = vertx.eventBus().consumer(Addresses.SETTINGS_CHANGED, msg -> settings = null);
  }

  /** Completes once the change listener is registered. */
  public Future<Void> ready() {
    return changed.completion();
  }

  public Future<AutomationSettings> current() {
    long now = System.currentTimeMillis();
    if (settings == null || now - loadedAt > TTL_MS || settings.failed()) {
      loadedAt = now;
      settings = store.automation();
    }
    return settings;
  }
}
