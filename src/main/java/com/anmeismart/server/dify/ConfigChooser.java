package com.anmeismart.server.dify;

import io.vertx.core.Future;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A/B by weight, sticky per user: a user keeps the config recorded for them while it stays enabled; otherwise they
 * are placed by a hash of their id on the cumulative weights (deterministic and uniform), and the choice is
 * recorded. No enabled config → empty (the local agent answers).
 */
final class ConfigChooser {

  private final DifyConfigStore store;

  ConfigChooser(DifyConfigStore store) {
    this.store = store;
  }

  Future<Optional<DifyConfig>> choose(UUID userId, String purpose, List<DifyConfig> enabled) {
    if (enabled.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    return store.assignment(userId, purpose).compose(assigned -> {
      Optional<DifyConfig> kept = assigned.flatMap(id -> enabled.stream().filter(c -> c.id().equals(id)).findFirst());
      if (kept.isPresent()) {
        return Future.succeededFuture(kept);
      }
      DifyConfig drawn = draw(userId, purpose, enabled);
      return store.assign(userId, purpose, drawn.id()).map(Optional.of(drawn));
    });
  }

  /** The config whose weight interval holds this user's point in [0, total weight). */
  static DifyConfig draw(UUID userId, String purpose, List<DifyConfig> enabled) {
    long total = enabled.stream().mapToLong(DifyConfig::weight).sum();
    long point = Long.remainderUnsigned(hash(userId + "/" + purpose), total);
    for (DifyConfig c : enabled) {
      point -= c.weight();
      if (point < 0) {
        return c;
      }
    }
    return enabled.get(enabled.size() - 1);
  }

  private static long hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
