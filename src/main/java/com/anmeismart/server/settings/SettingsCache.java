package com.anmeismart.server.settings;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.AdminAlert;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * A verticle's view of one settings document: re-read at most every few seconds, and at once when an admin
 * changes it ({@link Addresses#SETTINGS_CHANGED} naming its key). Used on the verticle's own context only, so it
 * needs no locks.
 *
 * <p>A stored document that no longer validates (written by SQL, an older version, a bug) never stops the verticle:
 * its valid fields are used and each invalid one keeps the last good value this cache saw (the default before
 * any), and admins get one alert per bad document ({@code settings_invalid}, deduplicated by the document's hash
 * across verticles and nodes).
 */
public final class SettingsCache<T> {

  private static final Logger LOG = LoggerFactory.getLogger(SettingsCache.class);
  private static final long TTL_MS = 5_000;

  private final Vertx vertx;
  private final SettingsStore store;
  private final SettingsDocument<T> document;
  private final MessageConsumer<String> changed;
  private Future<T> settings;
  private T lastGood;
  private String reported;
  private long loadedAt;

  /** Call from the verticle's {@code start()}: the change listener lives on its context. */
  public SettingsCache(Vertx vertx, SettingsStore store, SettingsDocument<T> document) {
    this.vertx = vertx;
    this.store = store;
    this.document = document;
    this.lastGood = document.defaults();
    this.changed = vertx.eventBus().consumer(Addresses.SETTINGS_CHANGED, msg -> {
      if (msg.body() == null || document.key().equals(msg.body())) {
        settings = null;
      }
    });
  }

  /** The automation settings' cache. */
  public static SettingsCache<AutomationSettings> automation(Vertx vertx, SettingsStore store) {
    return new SettingsCache<>(vertx, store, Documents.AUTOMATION);
  }

  /** Completes once the change listener is registered. */
  public Future<Void> ready() {
    return changed.completion();
  }

  public Future<T> current() {
    long now = System.currentTimeMillis();
    if (settings == null || now - loadedAt > TTL_MS || settings.failed()) {
      loadedAt = now;
      settings = store.document(document, lastGood).map(this::accept);
    }
    return settings;
  }

  private T accept(SettingsStore.Document<T> doc) {
    if (doc.valid()) {
      lastGood = doc.settings();
      reported = null;
      return doc.settings();
    }
    String hash = hash(String.valueOf(doc.stored()));
    if (!hash.equals(reported)) {
      reported = hash;
      LOG.error("the stored {} settings are invalid ({}); running on the valid fields and the last good values for "
          + "the rest until an admin saves them again", document.key(), doc.problems().encode());
      vertx.eventBus().publish(Addresses.ADMIN_ALERTS, new AdminAlert("settings_invalid",
          document.label() + "（" + document.key() + "）中保存的内容无效，系统正以上次有效的设置运行；"
              + "请在管理后台检查并重新保存。",
          new JsonObject().put("key", document.key()).put("errors", doc.problems())
              .put("dedupe_key", "settings_invalid:" + document.key() + ":" + hash),
          Instant.now()));
    }
    return doc.settings();
  }

  private static String hash(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
