-- Issue #14: consultants never miss a new customer. Staff display names and WeCom ids, the offline sends of the
-- alert ladder, and the assignment rules (one consultant offered a customer at a time).

-- The name people see (李顾问, not consultant_li) and the staff member's WeCom user id (WeCom's own rule: 1–64
-- characters, unique in the corp, compared without case). Customers are named by full name, else username.
ALTER TABLE users
  ADD COLUMN display_name text CHECK (char_length(display_name) BETWEEN 1 AND 64),
  ADD COLUMN wecom_userid text CHECK (wecom_userid ~ '^[A-Za-z0-9_.@-]{1,64}$');
CREATE UNIQUE INDEX users_wecom_userid_uq ON users (lower(wecom_userid)) WHERE wecom_userid IS NOT NULL;

-- An offer is a notification too: the page acknowledges it like a live copy, and the ladder applies to it.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
  CHECK (kind IN ('new_customer', 'escalation', 'admin_alert', 'offer'));
-- the inbox entries of one conversation, newest first (claimed_by, the timeline)
CREATE INDEX notifications_conversation_user_idx ON notifications (conversation_id, user_id);

-- Every message sent to a consultant on an offline channel (Web Push today; WeCom adds channel 'wecom'), one row per
-- (customer, consultant, channel, kind): the unique key is what makes "never twice on one channel" true across job
-- retries, escalations, restarts and cluster nodes. A row is due at due_at: at once for a consultant who was offline,
-- ack_seconds after the live copy for one who was online (the alert ladder; skipped if the page acknowledged or read
-- it, or the customer was claimed, by then). Any node's pass leases due rows (FOR UPDATE SKIP LOCKED, stamped with
-- its instance), sends, and records the outcome; a failure that may pass is retried from the row (due_at moves on,
-- attempts counts). Owned by notify/OfflineSends.
CREATE TABLE offline_sends (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  consultant_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  customer_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  channel         text NOT NULL CHECK (channel IN ('web_push', 'wecom')),
  kind            text NOT NULL CHECK (kind IN ('new_customer', 'offer', 'escalation')),
  -- offline: the consultant had no open page; unacknowledged: a live copy the page did not acknowledge in time
  reason          text NOT NULL CHECK (reason IN ('offline', 'unacknowledged')),
  -- the consultant's inbox row this is about (its delivered_at / read_at settle an unacknowledged send)
  notification_id uuid REFERENCES notifications (id) ON DELETE SET NULL,
  -- what the channel shows (title, body, link, ids): small, push services cap payloads near 4 KB
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
  due_at          timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  leased_until    timestamptz,
  lease_instance  integer,
  -- the provider's id of an accepted message (Web Push: the push service's Location; WeCom: msgid)
  provider_id     text CHECK (char_length(provider_id) <= 2048),
  -- why it failed or was skipped (acknowledged, claimed, gone, http 4xx …)
  error           text CHECK (char_length(error) <= 500),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  UNIQUE (customer_id, consultant_id, channel, kind)
);
CREATE INDEX offline_sends_due_idx ON offline_sends (due_at) WHERE status = 'pending';
CREATE INDEX offline_sends_conversation_idx ON offline_sends (conversation_id);

-- Assignment rules (PRD §8.1.2): with round_robin or least_loaded, one consultant at a time is offered the customer
-- until it is accepted, expires (then the next), or nobody is left (then everyone is told: broadcast). The row is the
-- truth about the offer: it moves under its row lock (FOR UPDATE [SKIP LOCKED]), so two processes never offer one
-- customer to two consultants. A broadcast not yet carried out (broadcast_at NULL) is a due row too: the pass that
-- takes it (leased through expires_at) tells everyone and only then marks it. Owned by notify/Assignments.
CREATE TABLE customer_assignments (
  conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  customer_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  mode            text NOT NULL CHECK (mode IN ('round_robin', 'least_loaded')),
  state           text NOT NULL CHECK (state IN ('offering', 'accepted', 'claimed', 'broadcast')),
  offered_to      uuid REFERENCES users (id) ON DELETE SET NULL,
  -- the offer's number (1, 2, …): each move of the offer increments it
  offer_seq       integer NOT NULL DEFAULT 0,
  offered_at      timestamptz,
  -- offering: when the offer ends; broadcast pending: the lease of the pass carrying it out
  expires_at      timestamptz,
  -- consultants already offered this customer (never offered twice)
  tried           uuid[] NOT NULL DEFAULT '{}',
  broadcast_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (state <> 'offering' OR (offered_to IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX customer_assignments_due_idx ON customer_assignments (expires_at)
  WHERE state = 'offering' OR (state = 'broadcast' AND broadcast_at IS NULL);
CREATE INDEX customer_assignments_offered_idx ON customer_assignments (offered_to) WHERE state = 'offering';

-- When each consultant was last offered a customer: round robin offers the least recently offered eligible
-- consultant, chosen with FOR UPDATE SKIP LOCKED on this row, so concurrent offers go to different consultants.
CREATE TABLE assignment_rotation (
  consultant_id   uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  last_offered_at timestamptz
);

-- Every offer, expiry, acceptance, claim and fall-back to broadcast, for the customer's timeline.
CREATE TABLE assignment_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  consultant_id   uuid REFERENCES users (id) ON DELETE SET NULL,
  event           text NOT NULL CHECK (event IN ('offered', 'expired', 'accepted', 'claimed', 'broadcast')),
  offer_seq       integer,
  -- broadcast: nobody_eligible, all_timed_out, escalated, mode_changed
  detail          text,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignment_events_conversation_idx ON assignment_events (conversation_id, id);
