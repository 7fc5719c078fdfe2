package com.anmeismart.server.bench;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registers customers at a fixed rate against a real server (embedded PostgreSQL) and reports the time from
 * registration to the conversation, to the first visible welcome text and to the stored welcome, p50/p95/p99, and
 * the rate at which welcomes were completed; then the stored-welcome latency by 10-second slices of the run. A
 * warm-up at the same rate comes first and is not counted (a fresh JVM compiles the hot paths in its first seconds).
 * {@code bench/run.sh RegistrationBench [agent|template] [registrations/s] [seconds] [warm-up seconds]}
 */
public final class RegistrationBench {

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "agent";
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    try (BenchSupport.Server server = new BenchSupport.Server(null)) {
      server.settings(new JsonObject().put("welcome_use_agent", !"template".equals(mode)));
      Map<String, Long> firstTextAt = new ConcurrentHashMap<>(); // conversation id → epoch ms
      server.app.vertx().eventBus().addOutboundInterceptor(ctx -> {
        if (ctx.message().address().startsWith("client.conversation.") && ctx.message().body() instanceof JsonObject b
            && ("welcome_chunk".equals(b.getString("type")) || "message".equals(b.getString("type")))) {
          firstTextAt.putIfAbsent(ctx.message().address().substring("client.conversation.".length()),
              System.currentTimeMillis());
        }
        ctx.next();
      });
      if (warmup > 0) {
        BenchSupport.register(server, rate, warmup);
        BenchSupport.awaitJobs(server);
      }
      Instant startedAt = Instant.now();
      BenchSupport.Load load = BenchSupport.register(server, rate, seconds);
      BenchSupport.awaitJobs(server);

      List<Double> toConversation = new ArrayList<>();
      List<Double> toWelcome = new ArrayList<>();
      List<Double> toFirstText = new ArrayList<>();
      Map<String, Long> sources = new ConcurrentHashMap<>();
      java.util.TreeMap<Integer, List<Double>> welcomeBy10s = new java.util.TreeMap<>(); // by registration time
      double firstRegistration = Double.MAX_VALUE;
      double lastWelcome = 0;
      try (Connection c = server.jdbc()) {
        ResultSet rs = c.createStatement().executeQuery("SELECT u.id, c.id AS conv, "
            + "extract(epoch FROM c.created_at - u.created_at) * 1000 AS conv_ms, "
            + "extract(epoch FROM m.created_at - u.created_at) * 1000 AS welcome_ms, m.metadata->>'source' AS source, "
            + "extract(epoch FROM m.created_at) * 1000 AS welcome_at, extract(epoch FROM u.created_at) * 1000 AS reg_at "
            + "FROM users u JOIN conversations c ON c.customer_id = u.id "
            + "JOIN messages m ON m.conversation_id = c.id AND m.kind = 'welcome' "
            + "WHERE u.username LIKE '" + load.prefix() + "%'");
        while (rs.next()) {
          toConversation.add(rs.getDouble("conv_ms"));
          toWelcome.add(rs.getDouble("welcome_ms"));
          sources.merge(rs.getString("source"), 1L, Long::sum);
          firstRegistration = Math.min(firstRegistration, rs.getDouble("reg_at"));
          lastWelcome = Math.max(lastWelcome, rs.getDouble("welcome_at"));
          welcomeBy10s.computeIfAbsent((int) ((rs.getDouble("reg_at") - startedAt.toEpochMilli()) / 10_000),
              k -> new ArrayList<>()).add(rs.getDouble("welcome_ms"));
          Long text = firstTextAt.get(rs.getString("conv"));
          Long registered = load.registeredAt().get(rs.getString("id"));
          if (text != null && registered != null) {
            toFirstText.add((double) Math.max(0, text - registered));
          }
        }
      }
      System.out.printf("%nregistration benchmark: mode=%s, %d registrations/s for %d s after %d s of warm-up "
          + "(started %s)%n", mode, rate, seconds, warmup, startedAt);
      System.out.printf("  sent %d in %.1f s, failed %d; welcomes %d by source %s%n", load.sent(), load.seconds(),
          load.failed(), toWelcome.size(), sources);
      System.out.println("  registration request (argon2id included): " + BenchSupport.percentiles(load.requestMs()));
      System.out.println("  registration -> conversation (database clock): " + BenchSupport.percentiles(toConversation));
      System.out.println("  registration 201 -> first visible welcome text: " + BenchSupport.percentiles(toFirstText));
      System.out.println("  registration -> welcome stored (database clock): " + BenchSupport.percentiles(toWelcome));
      welcomeBy10s.forEach((tenth, samples) -> System.out.printf("    registered in s %d-%d: %s%n", tenth * 10,
          tenth * 10 + 10, BenchSupport.percentiles(samples)));
      System.out.printf("  welcomes completed at %.1f/s (registrations answered at %.1f/s)%n",
          toWelcome.size() / Math.max(0.001, (lastWelcome - firstRegistration) / 1000),
          (load.sent() - load.failed()) / load.seconds());
    }
    System.exit(0);
  }
}
