package com.anmeismart.server.ops;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** The idle-memory policy sets G1's manageable flags once, and leaves alone a flag someone else has set. */
class IdleMemoryTest {

  @Test
  void setsTheG1IdleFlagsOnceAndLeavesSetFlagsAlone() {
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    assumeThat(vm.getVMOption("UseG1GC").getValue()).as("the test JVM runs G1 (the default)").isEqualTo("true");
    assumeThat(vm.getVMOption("G1PeriodicGCInterval").getOrigin()).isEqualTo(VMOption.Origin.DEFAULT);

    Map<String, String> set = IdleMemory.apply();

    assertThat(set).containsEntry("G1PeriodicGCInterval", "30000").containsEntry("MinHeapFreeRatio", "10")
        .containsEntry("MaxHeapFreeRatio", "30");
    assertThat(vm.getVMOption("G1PeriodicGCInterval").getValue()).isEqualTo("30000");
    assertThat(vm.getVMOption("MaxHeapFreeRatio").getValue()).isEqualTo("30");
    // now set by someone (this policy, or an operator through JMX or the command line): not touched again
    assertThat(IdleMemory.apply()).isEmpty();
  }
}
