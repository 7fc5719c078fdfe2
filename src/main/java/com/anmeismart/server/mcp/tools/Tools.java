package com.anmeismart.server.mcp.tools;

import io.vertx.sqlclient.Pool;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/** Every tool the server implements (SPEC §6); which ones a caller sees is up to its group. */
public final class Tools {

  private Tools() {
  }

  /** @param zone the clinic's time zone ({@code TIME_ZONE}) */
  public static List<ToolDef> all(Pool pool, ZoneId zone) {
    ClinicStore store = new ClinicStore(pool, zone);
    List<ToolDef> all = new ArrayList<>();
    all.addAll(new AdminTools(store).defs());
    all.addAll(new MedicalTools(store).defs());
    all.addAll(new ProfileTools(store).defs());
    all.addAll(new CatalogueTools(store).defs());
    return List.copyOf(all);
  }
}
