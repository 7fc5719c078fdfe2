package com.anmeismart.server.mcp;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A stop is graceful: each part's own stop() runs while the database is still there. */
class GracefulStopIT {

  @Test
  void theCallLogsLastRowsAreWrittenWhenTheServerStops() {
    TestApp server = TestApp.start(null);
    Db db = server.db();
    String admin = server.adminToken();
    JsonObject customer = server.register("stop_" + Long.toHexString(System.nanoTime()), null);
    String groupId = server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals("consultation_tools")).findFirst()
        .orElseThrow().getString("id");
    Http.Res key = server.http.get("/api/v1/mcp/groups/" + groupId + "/api-key", admin);
    McpClient mcp = new McpClient(server.port("MCP_PORT"), key.json().getString("api_key")).open();
    int calls = 40;
    for (int i = 0; i < calls; i++) {
      mcp.result("get_user_profile", new JsonObject().put("user_id", customer.getString("id")));
    }
    // straight away: the last rows are still queued for the call log's next batch
    server.close();

    // (the customer's welcome reads the profile too, through the welcome group: not counted here)
    assertThat(db.count("SELECT count(*) FROM mcp_call_logs WHERE group_id = ?::uuid AND success", groupId))
        .isEqualTo(calls);
  }
}
