package com.anmeismart.server.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The bucket bounds of the dashboard's distributions ({@code onboarding_daily_buckets}), and the quantile estimate
 * read from bucket counts. Bucket {@code i} holds the values from bound {@code i - 1} (inclusive; 0 for the first)
 * to bound {@code i} (exclusive), as PostgreSQL's {@code width_bucket(value, bounds)} numbers them; the last
 * bucket is open. A quantile is interpolated linearly within the bucket that holds its rank, as Prometheus'
 * {@code histogram_quantile} does, so it is off by at most that bucket's width (the open last bucket answers its
 * lower bound). The widths are chosen for what the figures are compared with: welcome times against the PRD's 3 s
 * (100 ms buckets up to 3 s), claim and first-reply minutes against 10 and 5 minutes (30 s buckets up to 15 min).
 */
public enum Buckets {

  /**
   * Milliseconds (welcome time, agent latency): 100 ms wide to 3 s, 250 ms to 10 s, 1 s to 30 s, 5 s to 60 s, then
   * 90 s, 2, 3, 5 and 10 minutes.
   */
  MILLISECONDS(steps(new double[][] {{100, 3_000, 100}, {3_250, 10_000, 250}, {11_000, 30_000, 1_000},
      {35_000, 60_000, 5_000}}, 90_000, 120_000, 180_000, 300_000, 600_000)),
  /**
   * Minutes (claim, first reply): 15 s wide to 1 min, 30 s to 15 min, 1 min to 30 min, 2.5 min to 1 h, 10 min to
   * 2 h, then 2.5, 3, 4, 6, 8, 12, 24, 48, 72 hours and a week. Every bound is a multiple of 1/4, exact in binary.
   */
  MINUTES(steps(new double[][] {{0.25, 1, 0.25}, {1.5, 15, 0.5}, {16, 30, 1}, {32.5, 60, 2.5}, {70, 120, 10}},
      150, 180, 240, 360, 480, 720, 1_440, 2_880, 4_320, 10_080));

  private final double[] bounds;

  Buckets(double[] bounds) {
    this.bounds = bounds;
  }

  /** Bucket count: one more than the bounds (the last is open). */
  public int size() {
    return bounds.length + 1;
  }

  /** The bucket {@code value} falls in ({@code width_bucket}'s numbering; negative values in the first). */
  public int of(double value) {
    int i = 0;
    while (i < bounds.length && value >= bounds[i]) {
      i++;
    }
    return i;
  }

  /** The lower bound of bucket {@code i} (0 for the first). */
  public double lower(int i) {
    return i == 0 ? 0 : bounds[Math.min(i, bounds.length) - 1];
  }

  /** The upper bound of bucket {@code i} (its lower bound for the open last one). */
  public double upper(int i) {
    return i >= bounds.length ? lower(i) : bounds[i];
  }

  /**
   * The {@code q} quantile of bucket counts {@code histogram} (indexed by bucket), interpolated within the bucket
   * that holds rank {@code q × total}; null when there is nothing counted.
   */
  public Double quantile(long[] histogram, double q) {
    long total = 0;
    for (long n : histogram) {
      total += n;
    }
    if (total == 0) {
      return null;
    }
    double rank = q * total;
    long below = 0;
    for (int i = 0; i < histogram.length; i++) {
      if (histogram[i] > 0 && below + histogram[i] >= rank) {
        double lower = lower(i);
        return lower + (upper(i) - lower) * Math.max(0, rank - below) / histogram[i];
      }
      below += histogram[i];
    }
    return lower(histogram.length - 1);
  }

  /** The bounds as a PostgreSQL array literal (what the rollup's statements bucket with). */
  public String sqlArray() {
    StringJoiner out = new StringJoiner(",", "{", "}");
    for (double b : bounds) {
      out.add(b == Math.rint(b) ? Long.toString((long) b) : Double.toString(b));
    }
    return out.toString();
  }

  /** Runs of equal steps {@code {from, to, step}} (inclusive), then single bounds. */
  private static double[] steps(double[][] runs, double... then) {
    List<Double> out = new ArrayList<>();
    for (double[] run : runs) {
      for (double b = run[0]; b <= run[1] + 1e-9; b += run[2]) {
        out.add(b);
      }
    }
    for (double b : then) {
      out.add(b);
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
