package com.anmeismart.server.cluster;

import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.config.ClusterConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The clustered-mode settings and the Hazelcast configuration built from them. */
class HazelcastSetupTest {

  private static final String PG = "postgresql://app@db.example:5432/anmei";

  private static ClusterConfig cluster(JsonObject settings) {
    return AppConfig.from(settings.put("PG_URL", settings.getString("PG_URL", PG))).cluster();
  }

  @Test
  void singleProcessDefaultsNameTheNodeAsTheSpecSays() {
    ClusterConfig c = AppConfig.from(new JsonObject()).cluster();
    assertThat(c.enabled()).isFalse();
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(5701);
    assertThat(c.busPort()).isEqualTo(5702);
    assertThat(c.nodeNameOrDefault()).isEqualTo("127.0.0.1:5701");
    assertThat(AppConfig.from(new JsonObject().put("NODE_NAME", "clinic-1")).cluster().nodeNameOrDefault())
        .isEqualTo("clinic-1");
  }

  @Test
  void aClusterNeedsAnExternalDatabaseAndSomeoneToJoin() {
    assertThatThrownBy(() -> AppConfig.from(new JsonObject().put("CLUSTER", "true")
        .put("CLUSTER_MEMBERS", "10.0.0.1:5701")))
        .hasMessageContaining("CLUSTER=true needs PG_URL: the embedded PostgreSQL belongs to one process");
    assertThatThrownBy(() -> cluster(new JsonObject().put("CLUSTER", "true")))
        .hasMessageContaining("CLUSTER=true needs CLUSTER_MEMBERS");
    assertThatThrownBy(() -> cluster(new JsonObject().put("CLUSTER", "yes")))
        .hasMessageContaining("CLUSTER must be true or false");
    assertThatThrownBy(() -> cluster(new JsonObject().put("CLUSTER", "true")
        .put("CLUSTER_MEMBERS", "10.0.0.1:5701, bad host:1,10.0.0.2:99999")))
        .hasMessageContaining("'bad host:1'").hasMessageContaining("'10.0.0.2:99999'");
    assertThatThrownBy(() -> cluster(new JsonObject().put("CLUSTER", "true").put("CLUSTER_MEMBERS", "a:1")
        .put("CLUSTER_PORT", "6000").put("CLUSTER_BUS_PORT", "6000")))
        .hasMessageContaining("CLUSTER_BUS_PORT must differ from CLUSTER_PORT");
    assertThatThrownBy(() -> cluster(new JsonObject().put("CLUSTER_NAME", "two words")))
        .hasMessageContaining("CLUSTER_NAME must be");
  }

  @Test
  void portZeroBecomesAFreePortAndNamesTheNode() throws Exception {
    ClusterConfig c = cluster(new JsonObject().put("CLUSTER", "true").put("CLUSTER_HOST", "localhost")
        .put("CLUSTER_PORT", "0").put("CLUSTER_MEMBERS", "127.0.0.1:5701")).resolved();
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isPositive();
    assertThat(c.busPort()).isPositive().isNotEqualTo(c.port());
    assertThat(c.nodeNameOrDefault()).isEqualTo("localhost:" + c.port());
  }

  @Test
  void tcpIpJoinOnTheGivenAddressAndNothingElse() throws Exception {
    ClusterConfig c = cluster(new JsonObject().put("CLUSTER", "true").put("CLUSTER_PORT", "5801")
        .put("CLUSTER_MEMBERS", "10.0.0.1:5801,10.0.0.2:5801").put("NODE_NAME", "clinic-1")).resolved();
    Config config = HazelcastSetup.config(c, "anmeismart-test");
    assertThat(config.getClusterName()).isEqualTo("anmeismart-test");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(config.getNetworkConfig().isPortAutoIncrement()).isFalse();
    assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.1:5801", "10.0.0.2:5801");
    assertThat(config.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(config.getMemberAttributeConfig().getAttribute(HazelcastSetup.NODE_NAME_ATTRIBUTE))
        .isEqualTo("clinic-1");
    assertThat(config.getMultiMapConfig(StaleSubscriptions.SUBS_MAP).getValueCollectionType())
        .isEqualTo(MultiMapConfig.ValueCollectionType.SET);
  }

  @Test
  void theKubernetesExampleReplacesOnlyTheJoin() throws Exception {
    Path example = Path.of("conf", "cluster", "hazelcast-kubernetes.yaml");
    ClusterConfig c = cluster(new JsonObject().put("CLUSTER", "true").put("CLUSTER_PORT", "5701")
        .put("CLUSTER_CONFIG", example.toString())).resolved();
    Config config = HazelcastSetup.config(c, "anmeismart-k8s");
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns"))
        .isEqualTo("anmeismart-hazelcast.clinic.svc.cluster.local");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(config.getClusterName()).isEqualTo("anmeismart-k8s");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThatThrownBy(() -> cluster(new JsonObject().put("CLUSTER", "true")
        .put("CLUSTER_CONFIG", "/nowhere/hz.yaml"))).hasMessageContaining("CLUSTER_CONFIG file not found");
  }

  /** The example file the README points to is a configuration the server accepts, clustered as documented. */
  @Test
  void theClusteredExampleIsAValidClusterConfiguration() throws Exception {
    JsonObject example = new JsonObject(Files.readString(Path.of("conf", "clustered.json")));
    AppConfig config = AppConfig.from(example);
    assertThat(config.cluster().enabled()).isTrue();
    assertThat(config.pgUrl()).isNotNull();
    assertThat(config.cluster().members()).hasSize(3).contains(config.cluster().host() + ":"
        + config.cluster().port());
    assertThat(config.cluster().busPort()).isEqualTo(config.cluster().port() + 1);
    assertThat(config.cluster().nodeNameOrDefault()).isEqualTo("node-1");
  }
}
