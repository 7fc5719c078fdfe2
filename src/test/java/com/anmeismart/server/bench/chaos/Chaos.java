package com.anmeismart.server.bench.chaos;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The chaos runs of issue #18 ({@code bench/chaos.sh <scenario> [key=value …]}): the server as a real process (the
 * fat jar), faults injected from outside it, the load generated in this JVM (not the server's), and at the end a
 * ledger of what the clients were told against what the database holds. Bounded in time, loopback only. Prints a
 * summary ending in {@code LOST=n DUPLICATED=n}; exits 1 when anything was lost or duplicated or a claim of the
 * scenario failed, 2 on bad usage.
 * <ul>
 *   <li>{@code kill-burst} ({@link KillBurst}): SIGKILL ×3 during a 1,000-registration burst, restarts on the same
 *       {@code DATA_DIR};</li>
 *   <li>{@code dify-faults} ({@link DifyFaults}): Dify stalls, errors, disappears and returns under a steady rate;</li>
 *   <li>{@code pg-restart} ({@link PgRestart}): an external PostgreSQL restarted twice under a steady rate;</li>
 *   <li>{@code node-kill} ({@link NodeKill}): one of three cluster nodes ({@code bench/cluster.sh}) killed with
 *       SIGKILL under a steady rate spread over the nodes, started again later.</li>
 * </ul>
 */
public final class Chaos {

  private Chaos() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      usage();
      return;
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq < 1) {
        usage();
        return;
      }
      params.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    Run run = switch (args[0]) {
      case "kill-burst" -> new KillBurst(params);
      case "dify-faults" -> new DifyFaults(params);
      case "pg-restart" -> new PgRestart(params);
      case "node-kill" -> new NodeKill(params);
      default -> {
        usage();
        yield null;
      }
    };
    System.exit(run.run().print());
  }

  private static void usage() {
    System.err.println("usage: bench/chaos.sh <kill-burst|dify-faults|pg-restart|node-kill> [key=value …]");
    System.exit(2);
  }
}
