package com.anmeismart.server.mcp;

import io.vertx.core.Future;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The groups in force, in memory, so a request costs a hash lookup instead of a query. Reloaded from PostgreSQL
 * whenever the admin API changes something (over the event bus), and periodically as a safety net. A reload swaps
 * one immutable snapshot, so readers on any thread see either the old or the new configuration, never a mix.
 */
public final class GroupRegistry {

  private record Snapshot(Map<String, McpGroup> byKeyHash, Map<String, McpGroup> byPreviousKeyHash,
                          Map<UUID, McpGroup> byId) {
  }

  /**
   * The group a presented key belongs to, and whether it is the group's previous key (still valid during a
   * rotation's grace period).
   */
  public record KeyMatch(McpGroup group, boolean previous) {
    /** {@code current} or {@code previous}, as the call log records it. */
    public String keyUsed() {
      return previous ? "previous" : "current";
    }
  }

  private final McpStore store;
  private final McpKeys keys;
  private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of(), Map.of());

  public GroupRegistry(McpStore store, McpKeys keys) {
    this.store = store;
    this.keys = keys;
  }

  /**
   * Loads the configuration; returns the ids of the groups whose visible tools (or existence, or enabled flag)
   * changed, so their open sessions can be told {@code notifications/tools/list_changed}.
   */
  public Future<Set<UUID>> reload() {
    return store.loadGroups().map(this::apply);
  }

  /** Puts these groups in force (what {@link #reload} loaded); returns the ids of those whose tools changed. */
  Set<UUID> apply(List<McpGroup> groups) {
    Map<String, McpGroup> byKey = new HashMap<>();
    Map<String, McpGroup> byPrevious = new HashMap<>();
    Map<UUID, McpGroup> byId = new HashMap<>();
    for (McpGroup g : groups) {
      byId.put(g.id(), g);
      if (g.keyHash() != null) {
        byKey.put(g.keyHash(), g);
      }
      if (g.previousKeyHash() != null) {
        byPrevious.put(g.previousKeyHash(), g);
      }
    }
    Snapshot old = snapshot;
    snapshot = new Snapshot(Map.copyOf(byKey), Map.copyOf(byPrevious), Map.copyOf(byId));
    Set<UUID> changed = new HashSet<>();
    Set<UUID> all = new HashSet<>(old.byId().keySet());
    all.addAll(byId.keySet());
    for (UUID id : all) {
      McpGroup before = old.byId().get(id);
      McpGroup after = byId.get(id);
      if (before == null || after == null || before.enabled() != after.enabled()
          || !before.enabledToolNames().equals(after.enabledToolNames())) {
        changed.add(id);
      }
    }
    return changed;
  }

  /** The group of a presented key (its current key, or its previous one during the grace), or null. */
  public McpGroup byKey(String key) {
    KeyMatch m = match(key);
    return m == null ? null : m.group();
  }

  /**
   * The group of a presented key and which of its keys it is, or null for an unknown key. A previous key counts
   * until its {@code previous_key_valid_until}, checked at each request (no reload needed when the grace ends).
   */
  public KeyMatch match(String key) {
    if (key == null || !key.startsWith(McpKeys.PREFIX) || key.length() > 200) {
      return null;
    }
    return matchHash(keys.hash(key));
  }

  private KeyMatch matchHash(String hash) {
    Snapshot s = snapshot;
    McpGroup current = s.byKeyHash().get(hash);
    if (current != null) {
      return new KeyMatch(current, false);
    }
    McpGroup previous = s.byPreviousKeyHash().get(hash);
    return previous != null && previous.previousKeyValid(Instant.now()) ? new KeyMatch(previous, true) : null;
  }

  /** The current state of a group, or null when it was deleted. */
  public McpGroup byId(UUID id) {
    return id == null ? null : snapshot.byId().get(id);
  }

  /** Every group, current. */
  public List<McpGroup> all() {
    return List.copyOf(snapshot.byId().values());
  }

  /**
   * Whether the key that opened a session still maps to the same group: a rotation ends that for the old key when
   * its grace ends (or at once without one, or on revoke-previous-key), and so does deleting the group.
   */
  public boolean stillValid(String keyHash, UUID groupId) {
    KeyMatch m = keyHash == null ? null : matchHash(keyHash);
    return m != null && Objects.equals(m.group().id(), groupId);
  }

  public String hash(String key) {
    return keys.hash(key);
  }
}
