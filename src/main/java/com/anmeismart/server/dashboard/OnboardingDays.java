package com.anmeismart.server.dashboard;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.ZoneId;

/**
 * The owner of {@code onboarding_daily} and {@code onboarding_daily_buckets}: the registration facts summed per
 * day of registration in the clinic's zone and per what the dashboard groups by (job status, welcome source and
 * fallback reason, Dify config and version), with the distributions as bucket counts ({@link Buckets}). A days=30
 * read merges a few hundred of these rows instead of sorting every registration's values (docs/performance.md).
 *
 * <p>Only {@link OnboardingFacts} calls it, inside the transaction that rewrote facts: the days those facts belong
 * to (before and after the change) are summed again from the facts, so the rollup is always the facts' sum. The
 * rollup remembers the zone and bounds it was summed with ({@link #layout}); when either differs from this
 * process's, it is summed again from scratch.
 */
final class OnboardingDays {

  /** $1 the days, $2 the zone: the facts of those days, each with its day. */
  private static final String FACTS_OF_DAYS = "FROM unnest($1::date[]) AS d (day) JOIN onboarding_facts f "
      + "ON f.registered_at >= (d.day::timestamp AT TIME ZONE $2) "
      + "AND f.registered_at < ((d.day + 1)::timestamp AT TIME ZONE $2) ";

  /** The customer answered the welcome within 24 hours of it. */
  static final String REPLIED = "(f.customer_message_at >= f.welcome_at "
      + "AND f.customer_message_at < f.welcome_at + interval '24 hours')";
  /** The customer answered the welcome at all (such a welcome's reply is due whatever its age). */
  static final String ANSWERED = "f.customer_message_at >= f.welcome_at";

  private static final String SUM_COUNTS = "INSERT INTO onboarding_daily (day, status, source, fallback_reason, "
      + "config_id, config_version, registrations, welcomed, welcome_ms_sum, welcome_ms_n, claimed, replied_24h, "
      + "answered, escalated) SELECT d.day, f.status, f.source, "
      + "CASE WHEN f.source = 'fallback' THEN coalesce(f.fallback_reason, 'unknown') END, f.config_id, "
      + "f.config_version, count(*), count(f.welcome_at), coalesce(sum(f.welcome_ms::float8), 0), "
      + "count(f.welcome_ms), count(f.claim_minutes), count(*) FILTER (WHERE " + REPLIED + "), "
      + "count(*) FILTER (WHERE " + ANSWERED + "), count(*) FILTER (WHERE f.escalated) "
      + FACTS_OF_DAYS + "GROUP BY 1, 2, 3, 4, 5, 6";

  /**
   * One row per day, config, version, measure and bucket. The agent's latency counts only the welcomes it wrote
   * (not the fallbacks), as the per-config p95 always has.
   */
  private static final String SUM_BUCKETS = "INSERT INTO onboarding_daily_buckets (day, measure, config_id, "
      + "config_version, bucket, n) SELECT d.day, m.measure, coalesce(f.config_id, ''), "
      + "coalesce(f.config_version, ''), width_bucket(m.v::float8, CASE WHEN m.minutes THEN '"
      + Buckets.MINUTES.sqlArray() + "'::float8[] ELSE '" + Buckets.MILLISECONDS.sqlArray() + "'::float8[] END), "
      + "count(*) " + FACTS_OF_DAYS
      + "CROSS JOIN LATERAL (VALUES ('welcome_ms', f.welcome_ms, false), "
      + "('agent_ms', CASE WHEN f.source <> 'fallback' THEN f.agent_ms END, false), "
      + "('claim_minutes', f.claim_minutes, true), ('reply_minutes', f.first_reply_minutes, true)) "
      + "AS m (measure, v, minutes) WHERE m.v IS NOT NULL GROUP BY 1, 2, 3, 4, 5";

  private static final String DROP_COUNTS = "DELETE FROM onboarding_daily WHERE day = ANY($1::date[])";
  private static final String DROP_BUCKETS = "DELETE FROM onboarding_daily_buckets WHERE day = ANY($1::date[])";
  private static final String DROP_ALL_COUNTS = "DELETE FROM onboarding_daily";
  private static final String DROP_ALL_BUCKETS = "DELETE FROM onboarding_daily_buckets";
  /** $1 the zone: every day some registration's facts fall on. */
  private static final String ALL_DAYS = "SELECT coalesce(array_agg(DISTINCT (registered_at AT TIME ZONE $1)::date), "
      + "'{}') AS days FROM onboarding_facts";

  private OnboardingDays() {
  }

  /**
   * What the rollup was summed with: the zone of its days and the bucket bounds. V17 writes it for the default
   * zone (its backfill), {@code onboarding_facts_mark.rollup_layout} keeps it.
   */
  static String layout(ZoneId zone) {
    return zone.getId() + " ms" + Buckets.MILLISECONDS.sqlArray() + " min" + Buckets.MINUTES.sqlArray();
  }

  /** Sums {@code days} (days in {@code zone}) again from the facts, in the facts' transaction. */
  static Future<Void> resum(SqlConnection tx, ZoneId zone, LocalDate[] days) {
    if (days.length == 0) {
      return Future.succeededFuture();
    }
    Tuple justDays = Tuple.of(days);
    Tuple daysInZone = Tuple.of(days, zone.getId());
    return tx.preparedQuery(DROP_COUNTS).execute(justDays)
        .compose(v -> tx.preparedQuery(DROP_BUCKETS).execute(justDays))
        .compose(v -> tx.preparedQuery(SUM_COUNTS).execute(daysInZone))
        .compose(v -> tx.preparedQuery(SUM_BUCKETS).execute(daysInZone))
        .mapEmpty();
  }

  /** Sums every day again (another zone or other bounds than the rollup was summed with). */
  static Future<Void> rebuild(SqlConnection tx, ZoneId zone) {
    return tx.query(DROP_ALL_COUNTS).execute()
        .compose(v -> tx.query(DROP_ALL_BUCKETS).execute())
        .compose(v -> tx.preparedQuery(ALL_DAYS).execute(Tuple.of(zone.getId())))
        .compose(rows -> resum(tx, zone, rows.iterator().next().getArrayOfLocalDates("days")));
  }
}
