package com.anmeismart.server.dashboard;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The dashboard's buckets: numbering as PostgreSQL's width_bucket, the interpolated quantile, V17's backfill. */
class BucketsTest {

  @Test
  void bucketsAreNumberedAsWidthBucketDoes() {
    Buckets ms = Buckets.MILLISECONDS;
    assertThat(ms.of(-5)).isZero();
    assertThat(ms.of(0)).isZero();
    assertThat(ms.of(99.9)).isZero();
    assertThat(ms.of(100)).isEqualTo(1);
    assertThat(ms.of(2_999)).isEqualTo(29);
    assertThat(ms.lower(29)).isEqualTo(2_900);
    assertThat(ms.upper(29)).isEqualTo(3_000);
    assertThat(ms.of(1e9)).isEqualTo(ms.size() - 1);
    assertThat(ms.upper(ms.size() - 1)).as("the open last bucket").isEqualTo(600_000);
    Buckets min = Buckets.MINUTES;
    assertThat(min.of(0.3)).isEqualTo(1);
    assertThat(min.upper(min.of(4.9)) - min.lower(min.of(4.9))).as("30 s wide at the 5-minute target")
        .isEqualTo(0.5);
    assertThat(min.upper(min.of(9.9)) - min.lower(min.of(9.9))).isEqualTo(0.5);
  }

  @Test
  void theQuantileIsInterpolatedWithinTheBucketOfItsRank() {
    Buckets ms = Buckets.MILLISECONDS;
    long[] h = new long[ms.size()];
    assertThat(ms.quantile(h, 0.5)).as("nothing counted").isNull();
    // 10 values in 1,000–1,100 ms, 10 in 2,000–2,100 ms
    h[ms.of(1_050)] = 10;
    h[ms.of(2_050)] = 10;
    assertThat(ms.quantile(h, 0.5)).isCloseTo(1_100, within(1e-9));
    assertThat(ms.quantile(h, 0.25)).isCloseTo(1_050, within(1e-9));
    assertThat(ms.quantile(h, 0.95)).isCloseTo(2_090, within(1e-9));
    h[ms.size() - 1] = 1_000;
    assertThat(ms.quantile(h, 0.99)).as("the open bucket answers its lower bound").isEqualTo(600_000);
  }

  @Test
  void v17BackfillsWithTheseBoundsInTheDefaultZone() throws IOException {
    String v17;
    try (InputStream in = getClass().getResourceAsStream("/db/migration/V17__dashboard_rollup.sql")) {
      v17 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    // the same bounds as the refresh, so a server in the default zone does not sum everything again at start
    assertThat(v17).contains("'" + Buckets.MILLISECONDS.sqlArray() + "'::float8[]")
        .contains("'" + Buckets.MINUTES.sqlArray() + "'::float8[]")
        .contains("rollup_layout = '" + OnboardingDays.layout(ZoneId.of("Asia/Shanghai")) + "'");
  }
}
