package com.anmeismart.server.notify;

import com.anmeismart.server.chat.ConversationStore;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The assignment rules' rows (PRD §8.1.2), all SQL on {@code customer_assignments}, {@code assignment_rotation} and
 * {@code assignment_events}. An offer moves only under its row's lock, and the next consultant is chosen in the same
 * transaction by one statement that locks their rotation row ({@code FOR UPDATE SKIP LOCKED}): two processes never
 * offer one customer to two consultants, and concurrent offers of different customers go to different consultants.
 * The claim and the acceptance commit with the assignment row they settle (ConversationStore's claim on this
 * transaction). Every step is an {@code assignment_events} row (the customer's timeline).
 */
public final class Assignments {

  /** What a transaction on one customer's assignment found or did. */
  public enum Outcome {
    /** the caller took the customer (claim or acceptance) */
    WON,
    /** the conversation was not open (claimed by someone, closed) */
    ALREADY_CLAIMED,
    /** a live offer is someone else's: others' claims wait */
    OFFER_PENDING,
    /** the caller's offer ran out (it moved on, or is about to) */
    OFFER_EXPIRED,
    /** there is no offer for the caller */
    OFFER_NOT_YOURS
  }

  /**
   * @param previousOffer the consultant whose offer this claim ended (they are told), or null
   * @param accepted      the claim took the caller's own live offer
   */
  public record ClaimResult(Outcome outcome, UUID previousOffer, boolean accepted, Instant expiresAt) {
  }

  /** An assignment row as a pass took it (locked). */
  record Row0(UUID conversationId, UUID customerId, String mode, String state, UUID offeredTo, int offerSeq,
              List<UUID> tried, String conversationStatus) {
  }

  /** A consultant chosen for an offer, and whether they have a Web Push subscription (for the ladder). */
  record Chosen(UUID consultantId, boolean push, String wecomUserid) {
  }

  /** SQL: the consultant named by {@code consultant} holds the live offer of {@code conversation} (the ladder's check). */
  static String liveOfferTo(String conversation, String consultant) {
    return "EXISTS (SELECT 1 FROM customer_assignments la WHERE la.conversation_id = " + conversation
        + " AND la.state = 'offering' AND la.offered_to = " + consultant + ")";
  }

  /**
   * Offer choices take turns across all processes: a transaction-level advisory lock (class "assg"), held to the
   * commit of the offer it chooses. Without it a burst of customers on two nodes found every rotation row locked by
   * another choice (SKIP LOCKED) and fell back to broadcast although consultants were free (measured with
   * {@code bench/ladder.sh offers}: 11 of 60 offered); with it each choice sees the one before it committed, so the
   * rotation is exact. It is taken after any row lock of the caller's transaction and nothing taken after it can be
   * held by another chooser, so it cannot deadlock. A choice is a few milliseconds: a clinic's rate is far below.
   */
  private static final String TAKE_TURN = "SELECT pg_advisory_xact_lock(1634956135, 0)";

  /** Rotation rows for every consultant online now (round robin orders by them). */
  private static final String ENSURE_ROTATION = "INSERT INTO assignment_rotation (consultant_id) "
      + "SELECT u.id FROM users u WHERE u.role = 'consultant' AND u.is_active AND "
      + Presence.onlineCondition("u", "$1")
      + " AND NOT EXISTS (SELECT 1 FROM assignment_rotation r WHERE r.consultant_id = u.id) ON CONFLICT DO NOTHING";

  /**
   * The next consultant: online, active, not yet offered this customer ($2), under $3 open conversations (claimed
   * and live offers); round robin = the least recently offered, least loaded = the fewest open, then the least
   * recently offered. Their rotation row is locked and stamped (SKIP LOCKED stays as a second guard: with the turn
   * above nobody else holds it).
   */
  private static final String CHOOSE = "WITH pick AS (SELECT r.consultant_id FROM assignment_rotation r "
      + "  JOIN users u ON u.id = r.consultant_id "
      + "  CROSS JOIN LATERAL (SELECT " + ConversationStore.openLoadOf("u.id") + " + (SELECT count(*) "
      + "    FROM customer_assignments o WHERE o.offered_to = u.id AND o.state = 'offering') AS load) l "
      + "  WHERE u.role = 'consultant' AND u.is_active AND " + Presence.onlineCondition("u", "$1")
      + "  AND NOT (u.id = ANY($2::uuid[])) AND l.load < $3 "
      + "  ORDER BY CASE WHEN $4 = 'least_loaded' THEN l.load ELSE 0 END, r.last_offered_at NULLS FIRST, "
      + "    r.consultant_id "
      + "  LIMIT 1 FOR UPDATE OF r SKIP LOCKED) "
      + "UPDATE assignment_rotation r SET last_offered_at = clock_timestamp() FROM pick "
      + "WHERE r.consultant_id = pick.consultant_id "
      + "RETURNING r.consultant_id, "
      + "EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = r.consultant_id) AS push, "
      + "(SELECT u.wecom_userid FROM users u WHERE u.id = r.consultant_id) AS wecom_userid";

  private static final String INSERT_OFFERING = "INSERT INTO customer_assignments (conversation_id, customer_id, mode, "
      + "state, offered_to, offer_seq, offered_at, expires_at, tried) VALUES ($1, $2, $3, 'offering', $4, 1, now(), "
      + "now() + make_interval(secs => $5), ARRAY[$4]::uuid[]) ON CONFLICT (conversation_id) DO NOTHING "
      + "RETURNING expires_at";
  /** Nobody to offer: everyone is to be told, by the pass that holds it until $4 (this one, now). */
  private static final String INSERT_BROADCAST = "INSERT INTO customer_assignments (conversation_id, customer_id, mode, "
      + "state, expires_at) VALUES ($1, $2, $3, 'broadcast', now() + make_interval(secs => $4)) "
      + "ON CONFLICT (conversation_id) DO NOTHING RETURNING conversation_id";
  private static final String MOVE = "UPDATE customer_assignments SET state = 'offering', offered_to = $2, "
      + "offer_seq = offer_seq + 1, offered_at = now(), expires_at = now() + make_interval(secs => $3), "
      + "tried = array_append(tried, $2), updated_at = now() WHERE conversation_id = $1 "
      + "RETURNING offer_seq, expires_at";
  private static final String TO_BROADCAST = "UPDATE customer_assignments SET state = 'broadcast', broadcast_at = NULL, "
      + "expires_at = now() + make_interval(secs => $2), updated_at = now() WHERE conversation_id = $1";
  private static final String BROADCAST_DONE = "UPDATE customer_assignments SET broadcast_at = now(), expires_at = NULL, "
      + "updated_at = now() WHERE conversation_id = $1 AND state = 'broadcast'";
  private static final String SETTLE = "UPDATE customer_assignments SET state = $2, updated_at = now() "
      + "WHERE conversation_id = $1";
  /** The escalation told everyone: whatever offer there was is over, and no broadcast is left to do. */
  private static final String ESCALATED = "UPDATE customer_assignments SET state = 'broadcast', "
      + "broadcast_at = coalesce(broadcast_at, now()), expires_at = NULL, updated_at = now() "
      + "WHERE conversation_id = $1 AND state IN ('offering', 'broadcast')";
  private static final String EVENT = "INSERT INTO assignment_events (conversation_id, consultant_id, event, offer_seq, "
      + "detail) VALUES ($1, $2, $3, $4, $5)";

  private static final String COLUMNS = "a.conversation_id, a.customer_id, a.mode, a.state, a.offered_to, a.offer_seq, "
      + "a.tried, (SELECT c.status FROM conversations c WHERE c.id = a.conversation_id) AS conversation_status";
  /** The next due row of any node's pass: an offer that ran out, or a broadcast nobody carried out yet. */
  private static final String TAKE_DUE = "SELECT " + COLUMNS + " FROM customer_assignments a "
      + "WHERE (a.state = 'offering' AND a.expires_at <= now()) "
      + "OR (a.state = 'broadcast' AND a.broadcast_at IS NULL AND (a.expires_at IS NULL OR a.expires_at <= now())) "
      + "ORDER BY a.expires_at NULLS FIRST LIMIT 1 FOR UPDATE OF a SKIP LOCKED";
  private static final String LOCK = "SELECT " + COLUMNS + ", a.expires_at, a.expires_at > now() AS live "
      + "FROM customer_assignments a WHERE a.conversation_id = $1 FOR UPDATE OF a";
  private static final String CURRENT = "SELECT state, offered_to, expires_at, broadcast_at FROM customer_assignments "
      + "WHERE conversation_id = $1";

  private final Pool pool;

  public Assignments(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  // ---- on a transaction (the Assigner composes them) ----------------------------------------------------------

  /** The next eligible consultant (their rotation row locked for this transaction), or null. */
  static Future<Chosen> choose(SqlClient tx, int presenceTtl, List<UUID> tried, int maxOpen, String mode) {
    return tx.query(TAKE_TURN).execute()
        .compose(v -> tx.preparedQuery(ENSURE_ROTATION).execute(Tuple.of(presenceTtl)))
        .compose(v -> tx.preparedQuery(CHOOSE).execute(Tuple.of(presenceTtl, tried.toArray(UUID[]::new), maxOpen,
            mode)))
        .map(rows -> rows.size() == 0 ? null : new Chosen(rows.iterator().next().getUUID("consultant_id"),
            rows.iterator().next().getBoolean("push"), rows.iterator().next().getString("wecom_userid")));
  }

  /** The first offer; null when the customer already has an assignment (a retried job). */
  static Future<Instant> insertOffering(SqlClient tx, UUID conversation, UUID customer, String mode, UUID consultant,
                                        int offerSeconds) {
    return tx.preparedQuery(INSERT_OFFERING).execute(Tuple.of(conversation, customer, mode, consultant,
        (double) offerSeconds)).map(rows -> rows.size() == 0 ? null
        : rows.iterator().next().getOffsetDateTime("expires_at").toInstant());
  }

  /** A broadcast from the start, held by this pass for {@code leaseSeconds}; false when an assignment exists. */
  static Future<Boolean> insertBroadcast(SqlClient tx, UUID conversation, UUID customer, String mode,
                                         int leaseSeconds) {
    return tx.preparedQuery(INSERT_BROADCAST).execute(Tuple.of(conversation, customer, mode, (double) leaseSeconds))
        .map(rows -> rows.size() > 0);
  }

  /** The offer moves to {@code consultant}; its new expiry. */
  static Future<Instant> move(SqlClient tx, UUID conversation, UUID consultant, int offerSeconds) {
    return tx.preparedQuery(MOVE).execute(Tuple.of(conversation, consultant, (double) offerSeconds))
        .map(rows -> rows.iterator().next().getOffsetDateTime("expires_at").toInstant());
  }

  /** Everyone is to be told; this pass holds it for {@code leaseSeconds} while it does. */
  static Future<Void> toBroadcast(SqlClient tx, UUID conversation, int leaseSeconds) {
    return tx.preparedQuery(TO_BROADCAST).execute(Tuple.of(conversation, (double) leaseSeconds)).mapEmpty();
  }

  static Future<Void> escalated(SqlClient tx, UUID conversation) {
    return tx.preparedQuery(ESCALATED).execute(Tuple.of(conversation)).mapEmpty();
  }

  static Future<Void> settle(SqlClient tx, UUID conversation, String state) {
    return tx.preparedQuery(SETTLE).execute(Tuple.of(conversation, state)).mapEmpty();
  }

  static Future<Void> event(SqlClient tx, UUID conversation, UUID consultant, String event, Integer offerSeq,
                            String detail) {
    return tx.preparedQuery(EVENT).execute(Tuple.of(conversation, consultant, event, offerSeq, detail)).mapEmpty();
  }

  /** The next due row, locked for the caller's transaction (others skip it), or null. */
  static Future<Row0> takeDue(SqlClient tx) {
    return tx.query(TAKE_DUE).execute().map(rows -> rows.size() == 0 ? null : row(rows.iterator().next()));
  }

  /** Every consultant told of a broadcast: it is done. */
  public Future<Void> broadcastDone(UUID conversation) {
    return pool.preparedQuery(BROADCAST_DONE).execute(Tuple.of(conversation)).mapEmpty();
  }

  /** The assignment as it is (a retried job asks), or null. */
  Future<io.vertx.sqlclient.Row> current(UUID conversation) {
    return pool.preparedQuery(CURRENT).execute(Tuple.of(conversation))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }

  // ---- claims and acceptances (the API) ------------------------------------------------------------------------

  /**
   * {@code POST /conversations/{id}/claim}: the first claim wins, but while an offer is live only its consultant
   * may take the customer (their claim is the acceptance). Commits with the assignment row and the event.
   */
  public Future<ClaimResult> claim(UUID conversation, UUID consultant) {
    return pool.withTransaction(tx -> tx.preparedQuery(LOCK).execute(Tuple.of(conversation)).compose(rows -> {
      Row r = rows.size() == 0 ? null : rows.iterator().next();
      boolean live = r != null && "offering".equals(r.getString("state")) && r.getBoolean("live");
      UUID offeredTo = r == null ? null : r.getUUID("offered_to");
      Instant expires = r == null || r.getOffsetDateTime("expires_at") == null ? null
          : r.getOffsetDateTime("expires_at").toInstant();
      if (live && !consultant.equals(offeredTo)) {
        return Future.succeededFuture(new ClaimResult(Outcome.OFFER_PENDING, null, false, expires));
      }
      return ConversationStore.claim(tx, conversation, consultant).compose(won -> {
        if (!won) {
          return Future.succeededFuture(new ClaimResult(Outcome.ALREADY_CLAIMED, null, false, null));
        }
        boolean accepted = live;
        boolean offering = r != null && "offering".equals(r.getString("state"));
        // an offer that ran out a moment ago (its pass has not moved it yet) ends with this claim
        UUID previous = offering && !consultant.equals(offeredTo) ? offeredTo : null;
        Future<Void> settled = r == null ? Future.succeededFuture()
            : settle(tx, conversation, accepted ? "accepted" : "claimed")
                .compose(v -> previous == null ? Future.succeededFuture()
                    : event(tx, conversation, previous, "expired", r.getInteger("offer_seq"), "claimed_by_other"))
                .compose(v -> offering ? Inbox.settle(tx, offeredTo, Payloads.offerKey(conversation))
                    : Future.succeededFuture());
        return settled.compose(v -> event(tx, conversation, consultant, accepted ? "accepted" : "claimed",
                r == null ? null : r.getInteger("offer_seq"), null))
            .map(new ClaimResult(Outcome.WON, previous, accepted, null));
      });
    }));
  }

  /**
   * {@code POST /conversations/{id}/accept}: only the consultant holding the live offer; accepting is claiming.
   * 409s: the offer ran out ({@link Outcome#OFFER_EXPIRED}), it is not theirs, or the customer is taken.
   */
  public Future<ClaimResult> accept(UUID conversation, UUID consultant) {
    return pool.withTransaction(tx -> tx.preparedQuery(LOCK).execute(Tuple.of(conversation)).compose(rows -> {
      Row r = rows.size() == 0 ? null : rows.iterator().next();
      if (r == null || !"offering".equals(r.getString("state")) || !consultant.equals(r.getUUID("offered_to"))) {
        boolean hadIt = r != null && List.of(r.getArrayOfUUIDs("tried")).contains(consultant);
        return Future.succeededFuture(new ClaimResult(hadIt ? Outcome.OFFER_EXPIRED : Outcome.OFFER_NOT_YOURS, null,
            false, null));
      }
      if (!r.getBoolean("live")) {
        return Future.succeededFuture(new ClaimResult(Outcome.OFFER_EXPIRED, null, false, null));
      }
      return ConversationStore.claim(tx, conversation, consultant).compose(won -> !won
          ? Future.succeededFuture(new ClaimResult(Outcome.ALREADY_CLAIMED, null, false, null))
          : settle(tx, conversation, "accepted")
              .compose(v -> event(tx, conversation, consultant, "accepted", r.getInteger("offer_seq"), null))
              .compose(v -> Inbox.settle(tx, consultant, Payloads.offerKey(conversation)))
              .map(new ClaimResult(Outcome.WON, null, true, null)));
    }));
  }

  private static Row0 row(Row r) {
    UUID[] tried = r.getArrayOfUUIDs("tried");
    return new Row0(r.getUUID("conversation_id"), r.getUUID("customer_id"), r.getString("mode"), r.getString("state"),
        r.getUUID("offered_to"), r.getInteger("offer_seq"), tried == null ? List.of() : List.of(tried),
        r.getString("conversation_status"));
  }

  /** The row of one customer, locked for the caller's transaction, or null (escalation's withdrawal). */
  static Future<Row0> lock(SqlClient tx, UUID conversation) {
    return tx.preparedQuery(LOCK).execute(Tuple.of(conversation))
        .map(rows -> rows.size() == 0 ? null : row(rows.iterator().next()));
  }
}
