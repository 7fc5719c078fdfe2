package com.anmeismart.server.mcp.tools;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.automation.JobStore;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.dify.DifyConfigStore;
import com.anmeismart.server.mcp.McpStore;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.eventbus.EventBus;
import io.vertx.sqlclient.Pool;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/** Every tool the server implements (SPEC §6); which ones a caller sees is up to its group. */
public final class Tools {

  private Tools() {
  }

  /**
   * @param bus  where the owners announce changes (settings, MCP configuration)
   * @param box  the secrets key's box (the Dify store needs it to read configs; exports never include keys)
   * @param zone the clinic's time zone ({@code TIME_ZONE})
   */
  public static List<ToolDef> all(Pool pool, EventBus bus, SecretBox box, ZoneId zone) {
    ClinicStore clinic = new ClinicStore(pool, zone);
    UserStore users = new UserStore(pool);
    ConversationStore conversations = new ConversationStore(pool);
    CustomerProfiles profiles = new CustomerProfiles(users, conversations, clinic);
    List<ToolDef> all = new ArrayList<>();
    all.addAll(new AdminTools(new AdminTools.Owners(users, new SettingsStore(pool, bus), new McpStore(pool),
        new DifyConfigStore(pool, box), new JobStore(pool), conversations, clinic, profiles, pool, bus)).defs());
    all.addAll(new MedicalTools(clinic, profiles).defs());
    all.addAll(new ProfileTools(clinic, profiles, conversations).defs());
    all.addAll(new CatalogueTools(clinic, profiles).defs());
    return List.copyOf(all);
  }
}
