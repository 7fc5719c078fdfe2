package com.anmeismart.server.mcp.transport;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.util.UUID;

/**
 * What a handshake-era Streamable HTTP session needs, kept where every node can read it: the group and key hash
 * that opened it, the negotiated protocol revision, and the client's {@code initialize} request (its capabilities
 * and client info). A Vert.x shared {@link AsyncMap}: on a cluster Hazelcast's distributed map (one backup copy, so
 * one node's death loses nothing), in a single process a local map. Any node that gets a request for a session it
 * has not seen builds its own copy of the session from this record, so Dify's per-call sequence (initialize,
 * initialized, tools/call, DELETE) works whatever node each request reaches.
 *
 * <p>Entries live {@code MCP_SESSION_IDLE_SECONDS}; a node that serves a session puts it again (which restarts that
 * time) at most once per sweep. A session the client ends (DELETE) is removed here and announced on
 * {@code mcp.session.ended}, so every node drops its copy.
 */
final class SessionDirectory {

  static final String MAP_NAME = "anmeismart.mcp.sessions";

  /** One shared session. */
  record Shared(UUID groupId, String keyHash, String version, String initialize) {

    JsonObject toJson() {
      return new JsonObject().put("group_id", groupId.toString()).put("key_hash", keyHash).put("version", version)
          .put("initialize", initialize);
    }

    static Shared fromJson(JsonObject j) {
      return new Shared(UUID.fromString(j.getString("group_id")), j.getString("key_hash"), j.getString("version"),
          j.getString("initialize"));
    }
  }

  private final Future<AsyncMap<String, JsonObject>> map;
  private final long ttlMs;

  SessionDirectory(Vertx vertx, long ttlMs) {
    this.map = vertx.sharedData().getAsyncMap(MAP_NAME);
    this.ttlMs = ttlMs;
  }

  /** Records (or refreshes) a session for its idle time. */
  Future<Void> put(String id, Shared session) {
    return map.compose(m -> m.put(id, session.toJson(), ttlMs));
  }

  /** The session, or null when no node knows it (never opened, ended, expired). */
  Future<Shared> get(String id) {
    return map.compose(m -> m.get(id)).map(j -> j == null ? null : Shared.fromJson(j));
  }

  Future<Void> remove(String id) {
    return map.compose(m -> m.remove(id)).mapEmpty();
  }
}
