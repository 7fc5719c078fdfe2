package com.anmeismart.server.dify;

import com.anmeismart.server.mcp.tools.ClinicStore;
import com.anmeismart.server.settings.GuardPhrases;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The welcome guard's cost (SPEC §11, issue #17: ≤ 2 ms p99 per welcome) and what holding text until a sentence has
 * passed does to the customer's first visible text.
 * <ol>
 *   <li>The guard's own time per welcome: the seeded catalogue (read through ClinicStore from a migrated database),
 *   the default phrases, welcomes as the local agent and a model write them (one clean, one with three violations),
 *   each fed in token-sized chunks through the sentence gate as the stream does; {@code welcomes} of each.</li>
 *   <li>Time to first visible text through the real gateway and the Dify double streaming a model-like answer in
 *   2-character chunks every {@code gap} ms: guard off (every chunk shown as it comes) against guard on (each
 *   sentence shown once it has passed).</li>
 * </ol>
 * {@code bench/run.sh com.anmeismart.server.dify.GuardBench [welcomes (20000)] [gap ms (40)] [streams (20)]}
 */
public final class GuardBench {

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  static final List<String> CLEAN = List.of("下午好，王小美！", "欢迎来到安美智享。", "我是您的专属AI咨询助手，很高兴认识您。",
      "看到您对「补水」和「光子嫩肤」感兴趣，我已经为您记下了。", "我们的「水光针」单次约 40 分钟，很受和您兴趣相近的顾客欢迎。",
      "感谢您通过微信找到我们。", "您可以随时向我咨询医美相关问题，专业顾问也会尽快与您联系。");
  static final List<String> BAD = List.of("您好，王小美！", "我们的水光针保证一次见效，永不反弹。",
      "现在只要 99 元，名额有限！", "李华女士上周也做了。", "欢迎随时咨询。");

  public static void main(String[] args) throws Exception {
    int welcomes = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    long gap = args.length > 1 ? Long.parseLong(args[1]) : 40;
    int streams = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Vertx vertx = Vertx.vertx();
    try (GatewayAlone gw = new GatewayAlone(vertx)) {
      List<WelcomeGuard.Service> catalogue = GatewayAlone.await(new ClinicStore(gw.database.pool(vertx),
          ZoneId.of("Asia/Shanghai")).allServices()).stream().map(o -> WelcomeGuard.Service.fromJson((JsonObject) o))
          .toList();
      WelcomeGuard guard = new WelcomeGuard(GuardPhrases.DEFAULT_LIST, catalogue);
      WelcomeGuard.Customer customer = new WelcomeGuard.Customer("王小美", "xiaomei", List.of("补水"), "13800138000",
          "xiaomei@example.com");
      for (List<String> text : List.of(CLEAN, BAD)) {
        List<String> tokens = tokens(String.join("", text));
        long[] nanos = new long[welcomes];
        long[] cpu = new long[welcomes];
        for (int i = -welcomes / 4; i < welcomes; i++) { // the first quarter warms the JIT up
          long c0 = THREADS.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          SentenceGate gate = new SentenceGate(guard.review(customer), s -> { });
          tokens.forEach(gate::accept);
          gate.finish();
          gate.verdict();
          if (i >= 0) {
            nanos[i] = System.nanoTime() - t0;
            cpu[i] = THREADS.getCurrentThreadCpuTime() - c0;
          }
        }
        Arrays.sort(nanos);
        Arrays.sort(cpu);
        // wall time includes the machine's other work (preemption, GC); CPU time is the guard's own
        System.out.printf("guard per welcome (%s, %d chars, %d chunks): wall p50 %.3f ms, p99 %.3f ms, max %.3f ms; "
                + "CPU p50 %.3f ms, p99 %.3f ms%n", text == CLEAN ? "clean" : "3 violations",
            String.join("", text).length(), tokens.size(), nanos[welcomes / 2] / 1e6,
            nanos[(int) (welcomes * 0.99)] / 1e6, nanos[welcomes - 1] / 1e6, cpu[welcomes / 2] / 1e6,
            cpu[(int) (welcomes * 0.99)] / 1e6);
      }

      gw.deploy(new JsonObject());
      gw.scriptedConfig(tokens(String.join("", CLEAN)), gap);
      for (boolean on : new boolean[] {false, true}) {
        List<Long> first = new ArrayList<>();
        List<Long> total = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
          GatewayAlone.Answer a = GatewayAlone.await(gw.welcome(10_000, on));
          first.add(a.firstPushMs());
          total.add(a.millis());
        }
        first.sort(null);
        total.sort(null);
        System.out.printf("first visible text, guard %s (2-char chunks every %d ms): p50 %d ms, max %d ms; "
                + "whole welcome p50 %d ms%n", on ? "on " : "off", gap, first.get(streams / 2),
            first.get(streams - 1), total.get(streams / 2));
      }
    } finally {
      vertx.close();
    }
  }

  /** The text in 2-character chunks, as a model streams Chinese. */
  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < text.length(); i += 2) {
      out.add(text.substring(i, Math.min(text.length(), i + 2)));
    }
    return out;
  }
}
