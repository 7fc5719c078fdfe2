package com.anmeismart.server.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the configuration with explicit vertx-config stores, lowest precedence first: the JSON file, then the
 * environment (only {@link AppConfig#KEYS}), then optional in-process overrides (used by tests, which cannot set env).
 * vertx-config's default stores would let the file beat env; declaring them keeps "env beats file" true.
 */
public final class ConfigLoader {

  /** The file used when no {@code --conf} is given, relative to the working directory. */
  public static final Path DEFAULT_FILE = Path.of("conf", "config.json");

  private ConfigLoader() {
  }

  /**
   * @param file      the JSON file, or null for {@link #DEFAULT_FILE} when it exists
   * @param overrides highest-precedence values, or null
   */
  public static Future<AppConfig> load(Vertx vertx, Path file, JsonObject overrides) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setIncludeDefaultStores(false).setScanPeriod(0);
    Path path = file != null ? file : (Files.exists(DEFAULT_FILE) ? DEFAULT_FILE : null);
    if (file != null && !Files.isRegularFile(file)) {
      return Future.failedFuture(new IllegalArgumentException("config file not found: " + file));
    }
    if (path != null) {
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json")
          .setConfig(new JsonObject().put("path", path.toString())));
    }
    options.addStore(new ConfigStoreOptions().setType("env")
        .setConfig(new JsonObject().put("keys", new JsonArray(AppConfig.KEYS)).put("raw-data", true)));
    if (overrides != null && !overrides.isEmpty()) {
      options.addStore(new ConfigStoreOptions().setType("json").setConfig(overrides));
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(retriever::close)
        .map(AppConfig::from);
  }
}
