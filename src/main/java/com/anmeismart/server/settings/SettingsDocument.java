package com.anmeismart.server.settings;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * One documented settings document in {@code system_settings}: its key, its values and defaults, and its rules.
 * {@link SettingsStore} changes every document the same way (merge over the values in force, check the whole,
 * write with the audit row, announce), whoever asks: the admin API, the MCP {@code system_config} tool, an import.
 *
 * @param <T> the typed settings the engines run on
 */
public interface SettingsDocument<T> {

  /** The {@code system_settings} key. */
  String key();

  /** What the console and alerts call it (zh-CN). */
  String label();

  T defaults();

  JsonObject toJson(T settings);

  /** Reads a document that {@link #check} found valid; missing fields take the defaults. */
  T fromJson(JsonObject valid);

  /** What is wrong with a (partial) document, field by field (field → message); empty when it is valid. */
  JsonObject check(JsonObject document);

  /** The document's fields; others are ignored when a document is read or merged. */
  Set<String> fields();

  /**
   * Reads a stored document whatever it holds (written by SQL, an older version, a bug): valid fields are used, each
   * invalid one takes {@code fallback}'s value, and the problems are reported. Never throws.
   */
  Read<T> parse(Object stored, T fallback);

  /** A stored document as read: the settings to run on, and what was wrong with it (field → message). */
  record Read<T>(T settings, JsonObject problems) {
    public boolean valid() {
      return problems.isEmpty();
    }
  }
}
