package com.anmeismart.server.config;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Fills in {@code JWT_SECRET} and {@code SECRETS_KEY} when the configuration leaves them out: generated once into
 * {@code DATA_DIR/secrets.json} (owner-only) and read back on later starts, so tokens and encrypted keys survive a
 * restart. Blocking file IO: call it off the event loop.
 */
public final class LocalSecrets {

  static final String FILE = "secrets.json";
  private static final SecureRandom RANDOM = new SecureRandom();

  private LocalSecrets() {
  }

  public static AppConfig resolve(AppConfig config) throws IOException {
    if (config.jwtSecret() != null && config.secretsKey() != null) {
      return config;
    }
    Files.createDirectories(config.dataDir());
    Path file = config.dataDir().resolve(FILE);
    JsonObject stored = Files.exists(file)
        ? new JsonObject(Files.readString(file, StandardCharsets.UTF_8))
        : new JsonObject();
    boolean changed = false;
    if (stored.getString("JWT_SECRET") == null) {
      stored.put("JWT_SECRET", randomBase64(48));
      changed = true;
    }
    if (stored.getString("SECRETS_KEY") == null) {
      stored.put("SECRETS_KEY", randomBase64(32));
      changed = true;
    }
    if (changed) {
      Path tmp = config.dataDir().resolve(FILE + ".tmp");
      Files.writeString(tmp, stored.encodePrettily(), StandardCharsets.UTF_8);
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // not a POSIX file system: the data directory's own permissions have to do
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    return config.withSecrets(
        config.jwtSecret() != null ? config.jwtSecret() : stored.getString("JWT_SECRET"),
        config.secretsKey() != null ? config.secretsKey() : stored.getString("SECRETS_KEY"));
  }

  private static String randomBase64(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }
}
