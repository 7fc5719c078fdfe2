package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.spec.McpSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * A transport's open sessions by id, each bound to the group and the key (its hash) that opened it; what both HTTP
 * transports do with them alike: find one for a key, notify a group's or all, close them all.
 */
final class SessionTable<E extends SessionTable.Entry> {

  /** One open session. */
  interface Entry {
    McpSession session();

    UUID groupId();

    String keyHash();
  }

  private final Map<String, E> sessions = new ConcurrentHashMap<>();

  void put(String id, E entry) {
    sessions.put(id, entry);
  }

  /** Puts the entry unless one exists for the id; returns the one that was there, or null. */
  E putIfAbsent(String id, E entry) {
    return sessions.putIfAbsent(id, entry);
  }

  E remove(String id) {
    return sessions.remove(id);
  }

  /** The session, if it exists for this key: to any other key it does not. */
  E get(String id, String keyHash) {
    E entry = sessions.get(id);
    return entry == null || !entry.keyHash().equals(keyHash) ? null : entry;
  }

  int size() {
    return sessions.size();
  }

  void forEach(BiConsumer<String, E> action) {
    sessions.forEach(action);
  }

  /** Tells the open sessions of these groups something (their tool list changed). */
  void notifyGroups(Set<UUID> groups, String method) {
    sessions.values().stream().filter(e -> groups.contains(e.groupId()))
        .forEach(e -> e.session().sendNotification(method, null).subscribe(null, t -> { }));
  }

  Mono<Void> notifyAll(String method, Object params) {
    return Flux.fromIterable(sessions.values())
        .flatMap(e -> e.session().sendNotification(method, params).onErrorComplete()).then();
  }

  Mono<Void> notifyOne(String id, String method, Object params) {
    E e = sessions.get(id);
    return e == null ? Mono.empty() : e.session().sendNotification(method, params);
  }

  Mono<Void> closeAll() {
    return Flux.fromIterable(List.copyOf(sessions.values()))
        .flatMap(e -> e.session().closeGracefully().onErrorComplete())
        .then(Mono.fromRunnable(sessions::clear));
  }
}
