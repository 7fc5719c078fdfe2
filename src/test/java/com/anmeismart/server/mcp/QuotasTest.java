package com.anmeismart.server.mcp;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The quota arithmetic without a server: rate and burst, the concurrency cap, tool limits, the per-node share. */
class QuotasTest {

  static McpGroup group(McpGroup.Quota q) {
    return new McpGroup(UUID.randomUUID(), "g", true, false, "h", Map.of(), null, null, q);
  }

  static McpGroup.Tool tool(McpGroup.Quota q) {
    return new McpGroup.Tool(UUID.randomUUID(), "t", true, 10, new io.vertx.core.json.JsonObject(), null,
        java.time.Instant.now(), q);
  }

  @Test
  void theBurstPassesThenTheRateRefusesWithAWait() {
    Quotas quotas = new Quotas();
    McpGroup g = group(new McpGroup.Quota(0.1, 3, null)); // a token every 10 s: no refill during the test
    for (int i = 0; i < 3; i++) {
      assertThat(quotas.admit(g, null)).isInstanceOf(Quotas.Permit.class);
    }
    Quotas.Admission refused = quotas.admit(g, null);
    assertThat(refused).isInstanceOf(Quotas.Refused.class);
    Quotas.Refused r = (Quotas.Refused) refused;
    assertThat(r.limit()).isEqualTo("rate");
    assertThat(r.retryAfterMs()).isBetween(8_000L, 10_001L);
    assertThat(r.retryAfterSeconds()).isBetween(8L, 11L);
    assertThat(quotas.wouldRefuse(g, null)).isNotNull();
  }

  @Test
  void theConcurrencyCapCountsCallsInFlightUntilReleased() {
    Quotas quotas = new Quotas();
    McpGroup g = group(new McpGroup.Quota(null, null, 2));
    Quotas.Permit a = (Quotas.Permit) quotas.admit(g, null);
    Quotas.Permit b = (Quotas.Permit) quotas.admit(g, null);
    assertThat(quotas.admit(g, null)).isInstanceOfSatisfying(Quotas.Refused.class,
        r -> assertThat(r.limit()).isEqualTo("concurrency"));
    a.release();
    a.release(); // once only
    assertThat(quotas.admit(g, null)).isInstanceOf(Quotas.Permit.class);
    assertThat(quotas.admit(g, null)).isInstanceOf(Quotas.Refused.class);
    b.release();
  }

  @Test
  void aToolsLimitRefusesWithoutSpendingTheGroupsToken() {
    Quotas quotas = new Quotas();
    McpGroup g = group(new McpGroup.Quota(1.0, 2, null));
    McpGroup.Tool t = tool(new McpGroup.Quota(0.01, 1, null));
    assertThat(quotas.admit(g, t)).isInstanceOf(Quotas.Permit.class);
    assertThat(quotas.admit(g, t)).isInstanceOfSatisfying(Quotas.Refused.class,
        r -> assertThat(r.scope()).isEqualTo("tool"));
    // the group's second token is still there for another tool
    assertThat(quotas.admit(g, tool(McpGroup.Quota.NONE))).isInstanceOf(Quotas.Permit.class);
  }

  @Test
  void eachNodeEnforcesItsShareAndKeysAreIndependent() {
    Quotas quotas = new Quotas();
    quotas.shareAmong(2);
    McpGroup g = group(new McpGroup.Quota(10.0, 4, 3));
    McpGroup other = group(new McpGroup.Quota(10.0, 4, 3));
    assertThat(quotas.admit(g, null)).isInstanceOf(Quotas.Permit.class);
    assertThat(quotas.admit(g, null)).isInstanceOf(Quotas.Permit.class); // ceil(3 / 2) = 2 in flight here
    assertThat(quotas.admit(g, null)).isInstanceOf(Quotas.Refused.class);
    assertThat(quotas.admit(other, null)).isInstanceOf(Quotas.Permit.class);
    assertThat(new Quotas().admit(group(McpGroup.Quota.NONE), null)).isInstanceOf(Quotas.Permit.class);
  }
}
