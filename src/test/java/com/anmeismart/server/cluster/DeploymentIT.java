package com.anmeismart.server.cluster;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A server whose secrets are not its database's deployment's does not start (before it would join a cluster), in
 * clustered and single mode alike, with a message naming the setting and never the secret; a refused start leaves
 * nothing behind that would make the right secrets fail next.
 */
class DeploymentIT {

  private static final String OTHER_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=";
  private static String pgUrl;
  private static Db db;

  @BeforeAll
  static void deployment() {
    pgUrl = TestPg.newDatabase();
    db = new Db(pgUrl);
    try (TestApp first = TestApp.start(pgUrl, null)) {
      assertThat(first.management().get("/ready", null).status()).isEqualTo(200);
    }
  }

  @Test
  void anotherSecretsKeyIsRefusedByName() {
    assertThatThrownBy(() -> TestApp.start(pgUrl, new JsonObject().put("SECRETS_KEY", OTHER_KEY)))
        .rootCause().hasMessageContaining("SECRETS_KEY is not this deployment's")
        .hasMessageNotContaining(OTHER_KEY);
  }

  @Test
  void anotherJwtSecretIsRefusedByName() {
    assertThatThrownBy(() -> TestApp.start(pgUrl, new JsonObject().put("JWT_SECRET", "another-jwt-secret-0123456789")))
        .rootCause().hasMessageContaining("JWT_SECRET is not this deployment's")
        .hasMessageNotContaining("another-jwt-secret");
  }

  @Test
  void aDatabaseFromBeforeTheCheckIsCheckedByItsStoredKeysAndKeepsNoWrongRow() {
    String upgraded = TestPg.newDatabase();
    Db old = new Db(upgraded);
    try (TestApp first = TestApp.start(upgraded, null)) {
      assertThat(old.count("SELECT count(*) FROM push_vapid_keys")).isEqualTo(1);
    }
    old.update("DELETE FROM deployment"); // as a database of the version before this check
    assertThatThrownBy(() -> TestApp.start(upgraded, new JsonObject().put("SECRETS_KEY", OTHER_KEY)))
        .rootCause().hasMessageContaining("SECRETS_KEY is not this deployment's")
        .hasMessageContaining("Web Push (VAPID) private key");
    assertThat(old.count("SELECT count(*) FROM deployment")).as("the refused start wrote nothing").isZero();
    try (TestApp right = TestApp.start(upgraded, null)) {
      assertThat(old.count("SELECT count(*) FROM deployment")).isEqualTo(1);
    }
  }

  @Test
  void theDeploymentIdNamesTheCluster() {
    assertThat(db.count("SELECT count(*) FROM deployment")).isEqualTo(1);
    String id = db.one("SELECT deployment_id::text AS id FROM deployment").get("id").toString();
    assertThat(ClusterStart.clusterName(com.anmeismart.server.config.AppConfig.from(new JsonObject()).cluster(),
        java.util.UUID.fromString(id))).isEqualTo("anmeismart-" + id);
  }
}
