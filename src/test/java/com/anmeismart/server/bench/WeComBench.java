package com.anmeismart.server.bench;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.WeComDouble;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * WeCom alert latency (issue #15, "measured, not asserted"): N offline consultants with WeCom user ids, then R new
 * customers sent to {@code notify.new-customer} as the automation's consultants_notified step does; for each
 * customer and consultant, the time from that request (the notify step) to the textcard request arriving at the
 * WeCom double (same JVM, loopback, {@code System.nanoTime}), and how many access tokens were fetched. Run with
 * {@code bench/wecom.sh [consultants] [rounds]}; bounded: it stops by itself.
 */
public final class WeComBench {

  private static final Logger LOG = LoggerFactory.getLogger(WeComBench.class);
  private static final int WARMUP = 2;

  private WeComBench() {
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    WeComDouble wecom = new WeComDouble();
    TestApp server = TestApp.start(new JsonObject().put("WECOM_CORP_ID", WeComDouble.CORP_ID)
        .put("WECOM_AGENT_ID", String.valueOf(WeComDouble.AGENT_ID)).put("WECOM_SECRET", WeComDouble.SECRET)
        .put("WECOM_BASE_URL", wecom.baseUrl()).put("PUBLIC_BASE_URL", "https://clinic.example"));
    try {
      var db = server.db();
      db.update("INSERT INTO users (username, email, password_hash, role, display_name, wecom_userid) "
          + "SELECT 'bench_c' || g, 'bench_c' || g || '@bench.example', 'not-a-login', 'consultant', '顾问' || g, "
          + "'bench.c' || g FROM generate_series(1, ?) g", n);
      for (int i = 1; i <= n; i++) {
        wecom.member("bench.c" + i);
      }
      // the channel reads its settings every few seconds; the first round waits for it to be on
      long deadline = System.currentTimeMillis() + 15_000;
      while (!"ok".equals(server.management().get("/ready", null).json().getJsonArray("checks").stream()
          .map(o -> (JsonObject) o).filter(c -> "wecom".equals(c.getString("id"))).findFirst()
          .map(c -> c.getJsonObject("data").getString("token")).orElse(null))) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("the WeCom channel did not come up");
        }
        TimeUnit.MILLISECONDS.sleep(100); // a bench's start-up wait, not a test's synchronisation
      }
      int fetchesBefore = wecom.tokenFetches.get();
      List<Double> all = new ArrayList<>();
      List<Double> roundP99 = new ArrayList<>();
      for (int i = 0; i < WARMUP + rounds; i++) {
        UUID customer = (UUID) db.one("INSERT INTO users (username, email, password_hash, role, full_name, "
            + "interests, source) VALUES (?, ?, 'x', 'customer', '王小美', '{热玛吉,水光针}', 'website') RETURNING id",
            "bench_cust" + i, "bench_cust" + i + "@bench.example").get("id");
        UUID conversation = (UUID) db.one("INSERT INTO conversations (customer_id, title, is_default) VALUES (?, "
            + "'bench', true) RETURNING id", customer).get("id");
        int sendsBefore = wecom.sends.size();
        long start = System.nanoTime();
        server.app.vertx().eventBus().request(Addresses.NOTIFY_NEW_CUSTOMER, new NewCustomer(customer,
                "bench_cust" + i, conversation, Instant.now(), UUID.randomUUID(), 5, false, false),
            new DeliveryOptions().setSendTimeout(30_000)).toCompletionStage().toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
        long until = System.currentTimeMillis() + 30_000;
        while (wecom.sends.size() - sendsBefore < n) {
          if (System.currentTimeMillis() > until) {
            throw new IllegalStateException("only " + (wecom.sends.size() - sendsBefore) + " of " + n + " cards");
          }
          TimeUnit.MILLISECONDS.sleep(5); // polling the double's record, outside the measured path
        }
        List<Double> round = new ArrayList<>();
        String url = "/consultant/#conversation=" + conversation;
        for (WeComDouble.Received r : wecom.sends.subList(sendsBefore, wecom.sends.size())) {
          if (r.textcard().getString("url", "").endsWith(url)) {
            round.add((r.nanos() - start) / 1e6);
          }
        }
        if (i >= WARMUP) {
          all.addAll(round);
          round.sort(Double::compare);
          roundP99.add(round.get(Math.min(round.size() - 1, (int) Math.ceil(0.99 * round.size()) - 1)));
        }
      }
      JsonObject summary = new JsonObject().put("consultants", n).put("rounds", rounds).put("warmup_rounds", WARMUP)
          .put("cards", all.size()).put("notify_to_request_ms", BenchSupport.percentiles(all))
          .put("worst_round_p99_ms", roundP99.stream().mapToDouble(d -> d).max().orElse(0))
          .put("token_fetches_during_rounds", wecom.tokenFetches.get() - fetchesBefore)
          .put("all_within_limits", wecom.sends.stream().allMatch(r -> r.problem() == null));
      LOG.info("WECOM RESULT {}", summary.encode());
    } finally {
      server.close();
      wecom.close();
    }
    System.exit(0);
  }
}
