package com.anmeismart.server.ops;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An idle server gives memory back. {@code java -jar} takes no JVM flags from the jar, and with G1's defaults the heap
 * that start-up (migrations, class loading) made the JVM commit stays committed for good. These are G1's manageable
 * flags, set here at start instead of on the command line: a concurrent cycle when no collection ran for a while
 * (JEP 346's periodic GC, so only when idle: under load collections run anyway), and tighter free-heap ratios, so
 * that cycle shrinks the heap to what is live. A flag given on the command line (or by the Dockerfile) is left as it
 * is, and nothing is done on another collector.
 */
public final class IdleMemory {

  private static final Logger LOG = LoggerFactory.getLogger(IdleMemory.class);
  /** Order matters: MinHeapFreeRatio must stay ≤ MaxHeapFreeRatio at every step. */
  private static final Map<String, String> G1_IDLE = new LinkedHashMap<>();

  static {
    G1_IDLE.put("MinHeapFreeRatio", "10");
    G1_IDLE.put("MaxHeapFreeRatio", "30");
    G1_IDLE.put("G1PeriodicGCInterval", "30000");
  }

  private IdleMemory() {
  }

  /** Applies the idle policy to this JVM; returns the flags it set. */
  public static Map<String, String> apply() {
    Map<String, String> set = new LinkedHashMap<>();
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    if (vm == null || !"true".equals(vm.getVMOption("UseG1GC").getValue())) {
      return set;
    }
    for (Map.Entry<String, String> flag : G1_IDLE.entrySet()) {
      VMOption.Origin origin = vm.getVMOption(flag.getKey()).getOrigin();
      if (origin != VMOption.Origin.DEFAULT && origin != VMOption.Origin.ERGONOMIC) {
        continue;
      }
      try {
        vm.setVMOption(flag.getKey(), flag.getValue());
        set.put(flag.getKey(), flag.getValue());
      } catch (IllegalArgumentException e) {
        // refused: a ratio given on the command line that this one would cross; the JVM keeps its own
        LOG.debug("{} left as it is: {}", flag.getKey(), e.getMessage());
      }
    }
    return set;
  }
}
