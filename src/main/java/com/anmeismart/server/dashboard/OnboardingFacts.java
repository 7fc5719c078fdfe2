package com.anmeismart.server.dashboard;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

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
  private static final String LOCK_MARK = "SELECT refreshed_to - interval '1 minute' AS since "
      + "FROM onboarding_facts_mark WHERE id = 1 FOR UPDATE";

  /**
   * $1 the look-back start (null: every registration). A parameter, not a value read inside the statement: the
   * planner then sees it and walks the {@code updated_at} indexes instead of scanning every row.
   */
  private static final String REFRESH = "WITH changed AS ("
      + "  SELECT j.id FROM automation_jobs j WHERE $1::timestamptz IS NULL OR j.updated_at > $1 "
      + "  UNION SELECT j.id FROM conversations c JOIN automation_jobs j ON j.conversation_id = c.id "
      + "    WHERE $1::timestamptz IS NOT NULL AND c.updated_at > $1 "
      + "  UNION SELECT j.id FROM customer_notices n JOIN automation_jobs j ON j.conversation_id = n.conversation_id "
      + "    WHERE $1::timestamptz IS NOT NULL AND n.escalated_at > $1) "
      + "INSERT INTO onboarding_facts AS f (" + COLUMNS + ") " + FACTS + " ORDER BY j.id "
      + "ON CONFLICT (job_id) DO UPDATE SET status = EXCLUDED.status, welcome_at = EXCLUDED.welcome_at, "
      + "welcome_ms = EXCLUDED.welcome_ms, source = EXCLUDED.source, fallback_reason = EXCLUDED.fallback_reason, "
      + "config_id = EXCLUDED.config_id, config_version = EXCLUDED.config_version, agent_ms = EXCLUDED.agent_ms, "
      + "claim_minutes = EXCLUDED.claim_minutes, first_reply_minutes = EXCLUDED.first_reply_minutes, "
      + "customer_message_at = EXCLUDED.customer_message_at, escalated = EXCLUDED.escalated, "
      + "registered_at = EXCLUDED.registered_at, guard_result = EXCLUDED.guard_result, "
      + "guard_rules = EXCLUDED.guard_rules "
      // unchanged rows (most of the look-back) are left alone rather than rewritten
      + "WHERE (f.*) IS DISTINCT FROM (EXCLUDED.*)";

  /** The transaction's start: earlier than the refresh's snapshot, so nothing committed after it is skipped. */
  private static final String MOVE_MARK = "UPDATE onboarding_facts_mark SET refreshed_to = now() WHERE id = 1";

  private final Pool pool;

  public OnboardingFacts(Pool pool) {
    this.pool = pool;
  }

  /** Brings the facts up to date; returns how many rows it wrote. */
  public Future<Integer> refresh() {
    return pool.withTransaction(tx -> tx.query(LOCK_MARK).execute()
        .compose(mark -> tx.preparedQuery(REFRESH).execute(Tuple.of(mark.iterator().next()
            .getOffsetDateTime("since"))))
        .compose(written -> tx.query(MOVE_MARK).execute().map(written.rowCount())));
  }
}
