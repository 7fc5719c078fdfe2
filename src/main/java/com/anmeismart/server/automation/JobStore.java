package com.anmeismart.server.automation;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.bus.ChatMessage;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.notify.AlertOutbox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * All SQL on {@code automation_jobs} and {@code automation_job_steps}. Each step is one statement: its effect
 * (idempotent through a unique index), the job's progress and the step-log row commit together, and every write of
 * a running job names its lease token, so an engine that lost its lease changes nothing. A step's effect on another
 * context's table is that owner's SQL fragment, composed here: the conversation and the welcome
 * ({@link ConversationStore}), the dead job's admin alert ({@link AlertOutbox}). The other way round, a registration
 * writes the user and its job in one statement with the job's fragment {@link #insertJobFor}.
 */
public final class JobStore {

  /** The admin alert kind of a dead job. */
  static final String DEAD_ALERT = "automation_job_dead";

  /** Milliseconds the statement itself took, on the server's clock, added to what the caller measured before. */
  private static final String DURATION = "($%d::int + (extract(epoch FROM clock_timestamp() - statement_timestamp())"
      + " * 1000)::int)";
  private static final String SINCE_REGISTRATION =
      "(extract(epoch FROM clock_timestamp() - registered_at) * 1000)::bigint AS since_registration_ms";

  /**
   * Leases due jobs (a running job is due when its lease has ended) to instance $4. Claims nothing while the claiming
   * instance's own lock isn't held: what it stamped would look dead to every other engine at once.
   */
  private static final String CLAIM = "UPDATE automation_jobs j SET status = 'running', attempts = j.attempts + 1, "
      + "lease_token = gen_random_uuid(), lease_owner = $1, lease_instance = $4, "
      + "next_run_at = now() + make_interval(secs => $2), updated_at = now() "
      + "FROM (SELECT id FROM automation_jobs WHERE status IN ('pending', 'running', 'failed') AND next_run_at <= now() "
      + "      ORDER BY next_run_at LIMIT $3 FOR UPDATE SKIP LOCKED) due "
      + "WHERE j.id = due.id AND " + InstanceLock.alive("$4") + " "
      + "RETURNING j.id, j.user_id, (SELECT username FROM users WHERE id = j.user_id) AS username, j.attempts, "
      + "j.lease_token, j.registered_at, j.conversation_id, j.welcome, j.welcome_message_id";

  /**
   * Ends the leases of running jobs whose engine's process is gone (its instance lock is free, see
   * {@link InstanceLock}) so that they are due at once. Each instance holding leases is probed once, not each job;
   * the lease's end stays the backstop for an engine alive but stuck. Returns the instance of each job set free.
   */
  private static final String END_DEAD_LEASES = "UPDATE automation_jobs SET next_run_at = now() "
      + "WHERE status = 'running' AND next_run_at > now() AND lease_instance IN ("
      + "  SELECT i FROM (SELECT DISTINCT lease_instance AS i FROM automation_jobs "
      + "    WHERE status = 'running' AND lease_instance <> $1) leasing WHERE " + InstanceLock.dead("i") + ") "
      + "RETURNING lease_instance";

  private static final String LOG_STEP = "INSERT INTO automation_job_steps (job_id, step, attempt, success, duration_ms, "
      + "error, detail) SELECT id, '%s', attempts, %s, " + DURATION + ", %s, %s FROM job";

  /**
   * The job row, locked, while this claim still holds it: the other contexts' inserts in a step's statement are
   * guarded by it, so nothing is written once the lease is lost (and nobody can take the lease mid-statement).
   */
  private static final String LEASE = "lease AS (SELECT id FROM automation_jobs WHERE id = $1 AND lease_token = $2 "
      + "FOR UPDATE)";

  private static final String CREATE_CONVERSATION = "WITH " + LEASE + ", "
      + ConversationStore.defaultConversationCtes("lease", "$3", "$4", "$5", "$6") + ", "
      + "job AS (UPDATE automation_jobs SET conversation_id = (SELECT id FROM conv LIMIT 1), "
      + "  last_step = 'conversation_created', updated_at = now() WHERE id = $1 AND lease_token = $2 "
      + "  RETURNING id, attempts, conversation_id, registered_at), "
      + "log AS (" + LOG_STEP.formatted("conversation_created", "true", 7, "NULL",
      "jsonb_build_object('conversation_id', conversation_id, 'created', (SELECT count(*) FROM ins) > 0)") + ") "
      + "SELECT conversation_id, " + SINCE_REGISTRATION + " FROM job";

  private static final String SAVE_WELCOME = "WITH job AS (UPDATE automation_jobs SET welcome = $3, "
      + "  last_step = 'welcome_generated', updated_at = now() WHERE id = $1 AND lease_token = $2 RETURNING id, attempts), "
      + "log AS (" + LOG_STEP.formatted("welcome_generated", "true", 4, "NULL", "$5") + ") "
      + "SELECT id FROM job";

  private static final String SEND_WELCOME = "WITH " + LEASE + ", "
      + ConversationStore.welcomeMessageCtes("lease", "$3", "$4", "$5") + ", "
      + "job AS (UPDATE automation_jobs SET welcome_message_id = (SELECT id FROM msg LIMIT 1), last_step = 'welcome_sent', "
      + "  updated_at = now() WHERE id = $1 AND lease_token = $2 RETURNING id, attempts, registered_at, welcome_message_id), "
      + "log AS (" + LOG_STEP.formatted("welcome_sent", "true", 6, "NULL",
      "jsonb_build_object('message_id', welcome_message_id, 'stored', (SELECT count(*) FROM ins) > 0)") + ") "
      + "SELECT msg.*, (SELECT count(*) FROM ins) AS inserted, " + SINCE_REGISTRATION + " FROM job, msg LIMIT 1";

  private static final String FINISH = "WITH job AS (UPDATE automation_jobs SET status = 'succeeded', notify_result = $3, "
      + "  lease_token = NULL, lease_owner = NULL, last_step = 'consultants_notified', last_error = NULL, "
      + "  finished_at = now(), updated_at = now() WHERE id = $1 AND lease_token = $2 RETURNING id, attempts), "
      + "log AS (" + LOG_STEP.formatted("consultants_notified", "true", 4, "NULL", "$3") + ") "
      + "SELECT id FROM job";

  /**
   * A failed step: the job waits for its retry, or is dead; a dead job's admin alert goes into the alert outbox in
   * the same statement ($8 message, $9 details), so a crash right after the mark can't lose it.
   */
  private static final String FAIL = "WITH job AS (UPDATE automation_jobs SET status = $3, "
      + "  next_run_at = now() + make_interval(secs => $4), lease_token = NULL, lease_owner = NULL, last_error = $5, "
      + "  finished_at = CASE WHEN $3 = 'dead' THEN now() END, updated_at = now() "
      + "  WHERE id = $1 AND lease_token = $2 RETURNING id, attempts), "
      + "log AS (INSERT INTO automation_job_steps (job_id, step, attempt, success, duration_ms, error) "
      + "  SELECT id, $6, attempts, false, $7, $5 FROM job), "
      + "alert AS (" + AlertOutbox.insertFrom("job", "$3 = 'dead'", "'" + DEAD_ALERT + "'", "$8::text", "$9::jsonb")
      + ") SELECT id FROM job";

  private static final String SKIP = "UPDATE automation_jobs SET status = 'skipped', lease_token = NULL, "
      + "lease_owner = NULL, last_error = $3, finished_at = now(), updated_at = now() "
      + "WHERE id = $1 AND lease_token = $2 RETURNING id";

  private static final String RELEASE = "UPDATE automation_jobs SET status = 'pending', next_run_at = now(), "
      + "attempts = greatest(attempts - 1, 0), lease_token = NULL, lease_owner = NULL, lease_instance = NULL, "
      + "updated_at = now() "
      + "WHERE lease_token = ANY($1)";

  private static final String RETRY_LOCK = "SELECT status, attempts, last_step, last_error FROM automation_jobs "
      + "WHERE id = $1 FOR UPDATE";
  private static final String RETRY = "UPDATE automation_jobs SET status = 'pending', attempts = 0, next_run_at = now(), "
      + "last_error = NULL, finished_at = NULL, updated_at = now() WHERE id = $1 AND status IN ('failed', 'dead') "
      + "RETURNING id";

  /** The step a job last failed at: its newest failed step-log row. */
  private static final String FAILED_STEP = "(SELECT s.step FROM automation_job_steps s WHERE s.job_id = j.id "
      + "AND NOT s.success ORDER BY s.id DESC LIMIT 1)";
  private static final String JOB_COLUMNS = "j.id, j.user_id, u.username, coalesce(nullif(u.full_name, ''), u.username) "
      + "AS display_name, j.status, j.attempts, j.next_run_at, "
      + "j.conversation_id, j.welcome_message_id, j.welcome, j.notify_result, j.last_step, j.last_error, j.registered_at, "
      + "j.created_at, j.updated_at, j.finished_at, " + FAILED_STEP + " AS failed_step";
  /**
   * The filter of the jobs list and of the batch retry: $1 status, $2 the step it failed at, $3 text in its error
   * (any case), $4/$5 when it last changed (from inclusive, to exclusive); null matches anything.
   */
  private static final String MATCHING = "($1::text IS NULL OR j.status = $1) "
      + "AND ($2::text IS NULL OR " + FAILED_STEP + " = $2) "
      + "AND ($3::text IS NULL OR strpos(lower(j.last_error), lower($3)) > 0) "
      + "AND ($4::timestamptz IS NULL OR j.updated_at >= $4) AND ($5::timestamptz IS NULL OR j.updated_at < $5)";
  private static final String LIST = "SELECT " + JOB_COLUMNS + ", count(*) OVER () AS total FROM automation_jobs j "
      + "JOIN users u ON u.id = j.user_id WHERE " + MATCHING + " ORDER BY j.updated_at DESC, j.id LIMIT $6 OFFSET $7";
  /**
   * One batch of a retry by filter: failed or dead jobs only (never a running, pending or finished one), changed
   * before $6 (the request's start, so a job this retry already restarted is not taken again if it fails again
   * meanwhile), at most $7 rows, locked rows skipped (an engine or another retry has them).
   */
  private static final String RETRY_MATCHING = "WITH due AS (SELECT j.id FROM automation_jobs j "
      + "WHERE j.status IN ('failed', 'dead') AND " + MATCHING + " AND j.updated_at <= $6 "
      + "ORDER BY j.updated_at, j.id LIMIT $7 FOR UPDATE SKIP LOCKED) "
      + "UPDATE automation_jobs j SET status = 'pending', attempts = 0, next_run_at = now(), last_error = NULL, "
      + "finished_at = NULL, updated_at = now() FROM due WHERE j.id = due.id RETURNING j.id";
  private static final String GET = "SELECT " + JOB_COLUMNS + " FROM automation_jobs j JOIN users u ON u.id = j.user_id "
      + "WHERE j.id = $1";
  private static final String STEPS = "SELECT step, attempt, success, duration_ms, error, detail, created_at "
      + "FROM automation_job_steps WHERE job_id = $1 ORDER BY id";
  private static final String COUNT_BY_STATUS = "SELECT status, count(*) AS n FROM automation_jobs GROUP BY status";

  /**
   * The job of a new customer, for the registration's single statement (UserStore composes it): inserts the job of
   * the user row that CTE {@code userCte} returned ({@code id}, {@code created_at}) and returns the job's {@code id}.
   */
  public static String insertJobFor(String userCte) {
    return "INSERT INTO automation_jobs (user_id, registered_at) SELECT id, created_at FROM " + userCte
        + " RETURNING id";
  }

  /** What sending the welcome did: the stored message (new, or there from an earlier attempt). */
  record SentWelcome(ChatMessage message, boolean inserted, long sinceRegistrationMs) {
  }

  /** The conversation, and how long after registration it existed. */
  record Conversation(UUID id, long sinceRegistrationMs) {
  }

  private final Pool pool;

  public JobStore(Pool pool) {
    this.pool = pool;
  }

  /** Leases up to {@code limit} jobs to this engine, stamped with its instance number. */
  Future<List<ClaimedJob>> claim(String owner, int instance, int leaseSeconds, int limit) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(owner, leaseSeconds, limit, instance)).map(rows -> {
      List<ClaimedJob> jobs = new ArrayList<>(rows.size());
      for (Row r : rows) {
        jobs.add(new ClaimedJob(r.getUUID("id"), r.getUUID("user_id"), r.getString("username"),
            r.getInteger("attempts"), r.getUUID("lease_token"), r.getOffsetDateTime("registered_at").toInstant(),
            r.getUUID("conversation_id"), (JsonObject) r.getValue("welcome"), r.getUUID("welcome_message_id")));
      }
      return jobs;
    });
  }

  /** Makes the jobs leased by dead instances due now; returns how many per dead instance (none: empty). */
  Future<Map<Integer, Integer>> endDeadLeases(int instance) {
    return pool.preparedQuery(END_DEAD_LEASES).execute(Tuple.of(instance)).map(rows -> {
      Map<Integer, Integer> freed = new HashMap<>();
      rows.forEach(r -> freed.merge(r.getInteger("lease_instance"), 1, Integer::sum));
      return freed;
    });
  }

  /** Empty when the lease was lost. */
  Future<Optional<Conversation>> createConversation(ClaimedJob job, String title, String assistantId,
                                                    String assistantName, int preMs) {
    return pool.preparedQuery(CREATE_CONVERSATION)
        .execute(Tuple.of(job.id(), job.leaseToken(), job.userId(), title, assistantId, assistantName, preMs))
        .map(rows -> first(rows).map(r -> new Conversation(r.getUUID("conversation_id"),
            r.getLong("since_registration_ms"))));
  }

  /** False when the lease was lost. */
  Future<Boolean> saveWelcome(ClaimedJob job, JsonObject welcome, int durationMs, JsonObject detail) {
    return pool.preparedQuery(SAVE_WELCOME).execute(Tuple.of(job.id(), job.leaseToken(), welcome, durationMs, detail))
        .map(rows -> rows.size() > 0);
  }

  /** Stores the welcome as the conversation's one AI welcome message. Empty when the lease was lost. */
  Future<Optional<SentWelcome>> sendWelcome(ClaimedJob job, String content, JsonObject metadata, int preMs) {
    return pool.preparedQuery(SEND_WELCOME)
        .execute(Tuple.of(job.id(), job.leaseToken(), job.conversationId(), content, metadata, preMs))
        .map(rows -> first(rows).map(r -> new SentWelcome(ConversationStore.message(r), r.getLong("inserted") > 0,
            r.getLong("since_registration_ms"))));
  }

  Future<Boolean> finish(ClaimedJob job, JsonObject notifyResult, int durationMs) {
    return pool.preparedQuery(FINISH).execute(Tuple.of(job.id(), job.leaseToken(), notifyResult, durationMs))
        .map(rows -> rows.size() > 0);
  }

  /**
   * Records a failed step: the job waits {@code delaySeconds} (status failed) or is dead, and then the admins'
   * alert ({@code alertMessage}, {@code alertDetails}) is queued in the same statement.
   */
  Future<Boolean> fail(ClaimedJob job, Step step, String error, boolean dead, double delaySeconds, int durationMs,
                       String alertMessage, JsonObject alertDetails) {
    return pool.preparedQuery(FAIL).execute(Tuple.tuple().addUUID(job.id()).addUUID(job.leaseToken())
            .addString(dead ? "dead" : "failed").addDouble(delaySeconds).addString(error).addString(step.id)
            .addInteger(durationMs).addString(alertMessage).addValue(alertDetails))
        .map(rows -> rows.size() > 0);
  }

  Future<Boolean> skip(ClaimedJob job, String reason) {
    return pool.preparedQuery(SKIP).execute(Tuple.of(job.id(), job.leaseToken(), reason)).map(rows -> rows.size() > 0);
  }

  /** Hands leased jobs back at once (a graceful stop), so another engine needn't wait for the leases to end. */
  Future<Integer> release(List<UUID> leaseTokens) {
    if (leaseTokens.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return pool.preparedQuery(RELEASE).execute(Tuple.of(leaseTokens.toArray(UUID[]::new))).map(RowSet::rowCount);
  }

  /**
   * An admin's retry of a failed or dead job: due now, attempts from zero, recorded in the audit log with the
   * change. False when there is no such retryable job.
   */
  public Future<Boolean> retry(UUID jobId, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(RETRY_LOCK).execute(Tuple.of(jobId)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(false);
      }
      Row r = found.iterator().next();
      JsonObject before = new JsonObject().put("status", r.getString("status"))
          .put("attempts", r.getInteger("attempts")).put("last_step", r.getString("last_step"))
          .put("last_error", r.getString("last_error"));
      return tx.preparedQuery(RETRY).execute(Tuple.of(jobId)).compose(rows -> rows.size() == 0
          ? Future.succeededFuture(false)
          : AuditStore.record(tx, actor, "job.retry", "automation_job", jobId, before,
              new JsonObject().put("status", "pending").put("attempts", 0)).map(true));
    }));
  }

  /** Which jobs: null fields match anything; {@code from} inclusive, {@code to} exclusive (last change). */
  public record Filter(String status, String step, String errorContains, Instant from, Instant to) {

    private Tuple tuple() {
      return Tuple.of(status, step, errorContains, at(from), at(to));
    }

    /** As the audit log records a batch retry's filter (the fields given). */
    JsonObject toJson() {
      JsonObject j = new JsonObject();
      if (status != null) {
        j.put("status", status);
      }
      if (step != null) {
        j.put("step", step);
      }
      if (errorContains != null) {
        j.put("error_contains", errorContains);
      }
      if (from != null) {
        j.put("from", from.toString());
      }
      if (to != null) {
        j.put("to", to.toString());
      }
      return j;
    }

    private static OffsetDateTime at(Instant i) {
      return i == null ? null : i.atOffset(ZoneOffset.UTC);
    }
  }

  /**
   * Retries every failed or dead job the filter matches, {@code batch} rows per statement (each its own short
   * transaction, so a large retry never holds many locks for long). Jobs running, pending, succeeded or skipped are
   * never touched. Each batch that retried something commits with its audit row ({@code job.retry_batch}: the
   * filter before, the retried jobs' ids after). Returns how many were retried.
   */
  public Future<Integer> retryMatching(Filter filter, int batch, Actor actor) {
    OffsetDateTime cutoff = OffsetDateTime.now(ZoneOffset.UTC);
    return retryBatches(filter, filter.tuple().addOffsetDateTime(cutoff).addInteger(batch), batch, 0, actor);
  }

  private Future<Integer> retryBatches(Filter filter, Tuple params, int batch, int done, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(RETRY_MATCHING).execute(params).compose(rows -> {
      if (rows.rowCount() == 0) {
        return Future.succeededFuture(0);
      }
      JsonArray ids = new JsonArray();
      rows.forEach(r -> ids.add(r.getUUID("id").toString()));
      return AuditStore.record(tx, actor, "job.retry_batch", "automation_job", null, filter.toJson(),
          new JsonObject().put("retried", ids.size()).put("job_ids", ids)).map(ids.size());
    })).compose(n -> n < batch
        ? Future.succeededFuture(done + n)
        : retryBatches(filter, params, batch, done + n, actor));
  }

  public Future<JsonObject> list(Filter filter, int limit, int offset) {
    return pool.preparedQuery(LIST).execute(filter.tuple().addInteger(limit).addInteger(offset)).map(rows -> {
      JsonArray items = new JsonArray();
      long total = 0;
      for (Row r : rows) {
        items.add(toJson(r));
        total = r.getLong("total");
      }
      return new JsonObject().put("items", items).put("total", total).put("limit", limit).put("offset", offset);
    });
  }

  /** A job with its step log, oldest step first. */
  public Future<Optional<JsonObject>> get(UUID jobId) {
    return pool.preparedQuery(GET).execute(Tuple.of(jobId)).compose(rows -> {
      Optional<Row> row = first(rows);
      if (row.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      JsonObject job = toJson(row.get());
      return pool.preparedQuery(STEPS).execute(Tuple.of(jobId)).map(steps -> {
        JsonArray log = new JsonArray();
        for (Row s : steps) {
          log.add(new JsonObject().put("step", s.getString("step")).put("attempt", s.getInteger("attempt"))
              .put("success", s.getBoolean("success")).put("duration_ms", s.getInteger("duration_ms"))
              .put("error", s.getString("error")).put("detail", s.getValue("detail"))
              .put("created_at", s.getOffsetDateTime("created_at").toInstant().toString()));
        }
        return Optional.of(job.put("steps", log));
      });
    });
  }

  /** Jobs by status, all time. */
  public Future<Map<String, Long>> countByStatus() {
    return pool.query(COUNT_BY_STATUS).execute().map(rows -> {
      Map<String, Long> counts = new HashMap<>();
      rows.forEach(r -> counts.put(r.getString("status"), r.getLong("n")));
      return counts;
    });
  }

  private static Optional<Row> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
  }

  private static JsonObject toJson(Row r) {
    JsonObject welcome = (JsonObject) r.getValue("welcome");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("user_id", r.getUUID("user_id").toString())
        .put("username", r.getString("username"))
        .put("display_name", r.getString("display_name"))
        .put("status", r.getString("status"))
        .put("attempts", r.getInteger("attempts"))
        .put("next_run_at", iso(r, "next_run_at"))
        .put("conversation_id", str(r.getUUID("conversation_id")))
        .put("welcome_message_id", str(r.getUUID("welcome_message_id")))
        .put("welcome_source", welcome == null ? null : welcome.getString("source"))
        .put("notify_result", r.getValue("notify_result"))
        .put("last_step", r.getString("last_step"))
        .put("last_error", r.getString("last_error"))
        .put("failed_step", r.getString("failed_step"))
        .put("registered_at", iso(r, "registered_at"))
        .put("created_at", iso(r, "created_at"))
        .put("updated_at", iso(r, "updated_at"))
        .put("finished_at", iso(r, "finished_at"));
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  private static String iso(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }
}
