package com.anmeismart.server.dashboard;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.ZoneId;

/**
 * The owner of {@code onboarding_facts}: one narrow row per registration with what the dashboard counts (job
 * status, welcome source, Dify config and version, welcome time, claim and first-reply minutes, the customer's
 * first message, escalation). A rollup of rows other stores own (automation jobs, messages, conversations,
 * customer notices), which it only reads; joining them for every dashboard read took seconds at 100,000
 * registrations (docs/performance.md).
 *
 * <p>{@link #refresh()} runs before each dashboard read: it rewrites the rows whose sources changed since the last
 * refresh, found through the sources' {@code updated_at} (jobs, conversations) and {@code escalated_at} indexes,
 * so the figures are never stale. The look-back starts a minute before the last mark: a source row stamped by a
 * transaction that was still open at the last refresh is caught by the next one (every writer of those rows is a
 * single statement lasting milliseconds). Refreshes on any number of nodes queue on the mark row, so each sees
 * what the one before it wrote. A mark of null (a restore, the benchmark's seeded history) reads everything once.
 *
 * <p>In the same transaction it has {@link OnboardingDays} sum again the days (in the clinic's zone) of the rows it
 * rewrote, both the day a row was on and the day it is on now: the per-day rollup the dashboard reads is always the
 * sum of the facts. At a clinic's pace that is today's few hundred or thousand rows, and now and then an older day
 * (a claim, a reply or the customer's answer after midnight).
 */
public final class OnboardingFacts {

  /** The facts of a registration, from its rows. */
  static final String FACTS = "SELECT j.id, j.registered_at, j.status, m.created_at, "
      + "(extract(epoch FROM m.created_at - j.registered_at) * 1000)::real, "
      + "m.metadata ->> 'source', m.metadata ->> 'fallback_reason', m.metadata ->> 'config_id', "
      + "m.metadata ->> 'config_version', (m.metadata ->> 'latency_ms')::real, "
      + "(extract(epoch FROM c.claimed_at - coalesce(n.notified_at, j.registered_at)) / 60)::real, "
      + "(extract(epoch FROM c.first_consultant_reply_at - j.registered_at) / 60)::real, "
      + "c.first_customer_message_at, n.escalated_at IS NOT NULL, m.metadata -> 'guard' ->> 'result', "
      + "ARRAY(SELECT jsonb_array_elements_text(coalesce(m.metadata -> 'guard' -> 'rules', '[]'::jsonb))) "
      + "FROM changed JOIN automation_jobs j ON j.id = changed.id "
      + "LEFT JOIN messages m ON m.id = j.welcome_message_id "
      + "LEFT JOIN conversations c ON c.id = j.conversation_id "
      + "LEFT JOIN customer_notices n ON n.conversation_id = j.conversation_id";

  private static final String COLUMNS = "job_id, registered_at, status, welcome_at, welcome_ms, source, "
      + "fallback_reason, config_id, config_version, agent_ms, claim_minutes, first_reply_minutes, "
      + "customer_message_at, escalated, guard_result, guard_rules";

  /** The mark, locked: refreshes on any number of nodes queue here, so each sees what the one before wrote. */
  private static final String LOCK_MARK = "SELECT refreshed_to - interval '1 minute' AS since, rollup_layout "
      + "FROM onboarding_facts_mark WHERE id = 1 FOR UPDATE";

  /**
   * $1 the look-back start (null: every registration), $2 the zone. A parameter, not a value read inside the
   * statement: the planner then sees it and walks the {@code updated_at} indexes instead of scanning every row.
   * Answers how many rows it wrote and the days (in the zone) they were on before and are on now; {@code before}
   * reads the statement's snapshot, so it sees a rewritten row as it was.
   */
  private static final String REFRESH = "WITH changed AS ("
      + "  SELECT j.id FROM automation_jobs j WHERE $1::timestamptz IS NULL OR j.updated_at > $1 "
      + "  UNION SELECT j.id FROM conversations c JOIN automation_jobs j ON j.conversation_id = c.id "
      + "    WHERE $1::timestamptz IS NOT NULL AND c.updated_at > $1 "
      + "  UNION SELECT j.id FROM customer_notices n JOIN automation_jobs j ON j.conversation_id = n.conversation_id "
      + "    WHERE $1::timestamptz IS NOT NULL AND n.escalated_at > $1) "
      + ", up AS (INSERT INTO onboarding_facts AS f (" + COLUMNS + ") " + FACTS + " ORDER BY j.id "
      + "ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, welcome_at = EXCLUDED.welcome_at, "
      + "welcome_ms = EXCLUDED.welcome_ms, source = EXCLUDED.source, fallback_reason = EXCLUDED.fallback_reason, "
      + "config_id = EXCLUDED.config_id, config_version = EXCLUDED.config_version, agent_ms = EXCLUDED.agent_ms, "
      + "claim_minutes = EXCLUDED.claim_minutes, first_reply_minutes = EXCLUDED.first_reply_minutes, "
      + "customer_message_at = EXCLUDED.customer_message_at, escalated = EXCLUDED.escalated, "
      + "registered_at = EXCLUDED.registered_at, guard_result = EXCLUDED.guard_result, "
      + "guard_rules = EXCLUDED.guard_rules "
      // unchanged rows (most of the look-back) are left alone rather than rewritten
      + "WHERE (f.*) IS DISTINCT FROM (EXCLUDED.*) RETURNING f.job_id, f.registered_at), "
      + "before AS (SELECT o.registered_at FROM onboarding_facts o JOIN up ON up.job_id = o.job_id) "
      + "SELECT (SELECT count(*) FROM up)::int AS written, ARRAY(SELECT DISTINCT (x.t AT TIME ZONE $2::text)::date "
      + "FROM (SELECT registered_at FROM up UNION ALL SELECT registered_at FROM before) AS x (t)) AS days";

  /** The transaction's start: earlier than the refresh's snapshot, so nothing committed after it is skipped. */
  private static final String MOVE_MARK = "UPDATE onboarding_facts_mark SET refreshed_to = now(), "
      + "rollup_layout = $1 WHERE id = 1";

  private final Pool pool;
  private final ZoneId zone;

  /** Facts whose days (for the rollup) are days in {@code zone}, the clinic's {@code TIME_ZONE}. */
  public OnboardingFacts(Pool pool, ZoneId zone) {
    this.pool = pool;
    this.zone = zone;
  }

  /** Brings the facts and their per-day rollup up to date; returns how many fact rows it wrote. */
  public Future<Integer> refresh() {
    String layout = OnboardingDays.layout(zone);
    return pool.withTransaction(tx -> tx.query(LOCK_MARK).execute().compose(marks -> {
      Row mark = marks.iterator().next();
      boolean stale = !layout.equals(mark.getString("rollup_layout"));
      return tx.preparedQuery(REFRESH).execute(Tuple.of(mark.getOffsetDateTime("since"), zone.getId()))
          .compose(rows -> {
            Row r = rows.iterator().next();
            LocalDate[] days = r.getArrayOfLocalDates("days");
            // another zone or other bounds than the rollup's: every day again (the changed ones among them)
            return (stale ? OnboardingDays.rebuild(tx, zone) : OnboardingDays.resum(tx, zone, days))
                .map(r.getInteger("written"));
          })
          .compose(written -> tx.preparedQuery(MOVE_MARK).execute(Tuple.of(layout)).map(written));
    }));
  }
}
