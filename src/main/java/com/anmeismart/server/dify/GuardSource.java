package com.anmeismart.server.dify;

import com.anmeismart.server.mcp.tools.ClinicStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The welcome guard in force: built from the settings' phrase list and a snapshot of the service catalogue (read
 * through its owner, {@link ClinicStore}), kept until either changes (the catalogue is re-read every 30 s), so a
 * welcome costs no query and no rebuild.
 */
final class GuardSource {

  static final long CATALOGUE_TTL_MS = 30_000;

  private final ClinicStore clinic;
  private Future<List<WelcomeGuard.Service>> catalogue;
  private long catalogueAt;
  private List<WelcomeGuard.Service> builtFrom;
  private List<String> builtFor;
  private WelcomeGuard guard;

  GuardSource(ClinicStore clinic) {
    this.clinic = clinic;
  }

  /** The guard for these phrases over the current catalogue (used on the gateway's context only). */
  Future<WelcomeGuard> guard(List<String> phrases) {
    long now = System.currentTimeMillis();
    if (catalogue == null || catalogue.failed() || now - catalogueAt > CATALOGUE_TTL_MS) {
      catalogueAt = now;
      catalogue = clinic.allServices().map(all -> all.stream()
          .map(o -> WelcomeGuard.Service.fromJson((JsonObject) o)).toList());
    }
    return catalogue.map(services -> {
      if (guard == null || services != builtFrom || !phrases.equals(builtFor)) {
        guard = new WelcomeGuard(phrases, services);
        builtFrom = services;
        builtFor = List.copyOf(phrases);
      }
      return guard;
    });
  }
}
