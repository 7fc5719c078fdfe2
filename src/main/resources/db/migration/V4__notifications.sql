-- R003: consultants hear about new customers. Presence of bridge sockets, the notifications inbox, Web Push
-- subscriptions and the server's VAPID key pair, and the per-conversation notice that escalation works from.

-- One row per open bridge socket on which a user registered their own address. A user is online while a fresh row
-- exists. The node (one HttpApiVerticle instance) refreshes seen_at of its sockets; rows of a node that died without
-- closing them go stale and stop counting after PRESENCE_TTL_SECONDS.
CREATE TABLE bridge_presence (
  socket_id    uuid PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  node         text NOT NULL,
  connected_at timestamptz NOT NULL DEFAULT now(),
  seen_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bridge_presence_user_idx ON bridge_presence (user_id, seen_at);
CREATE INDEX bridge_presence_node_idx ON bridge_presence (node);

-- The inbox: every notification a user was sent, live (they were online) or not (they were offline: it waits here
-- and goes out by Web Push). dedupe_key makes a retried job or a second cluster node write nothing twice.
CREATE TABLE notifications (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('new_customer', 'escalation', 'admin_alert')),
  dedupe_key      text NOT NULL CHECK (char_length(dedupe_key) <= 200),
  -- how it first went out: live over the bridge, or into the inbox of an offline user
  channel         text NOT NULL CHECK (channel IN ('live', 'inbox')),
  title           text NOT NULL CHECK (char_length(title) <= 200),
  -- the payload as sent (without its own id, which is added when it goes out)
  body            jsonb NOT NULL,
  conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- the page acknowledged it (POST /notifications/{id}/delivered): arrival rate and latency
  delivered_at    timestamptz,
  -- a push service accepted a Web Push message for it
  pushed_at       timestamptz,
  read_at         timestamptz,
  UNIQUE (user_id, dedupe_key)
);
CREATE INDEX notifications_user_time_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_conversation_idx ON notifications (conversation_id);

-- Web Push subscriptions (a browser's PushSubscription). One endpoint belongs to one user: a browser that
-- subscribes again under another login moves to that user.
CREATE TABLE push_subscriptions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  endpoint        text NOT NULL UNIQUE CHECK (endpoint ~ '^https?://' AND char_length(endpoint) <= 2048),
  p256dh          text NOT NULL CHECK (char_length(p256dh) <= 200),
  auth            text NOT NULL CHECK (char_length(auth) <= 100),
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_success_at timestamptz,
  failures        integer NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

-- The server's VAPID key pair (RFC 8292), generated on first start and shared by every node: one row.
CREATE TABLE push_vapid_keys (
  id              smallint PRIMARY KEY CHECK (id = 1),
  -- base64url of the uncompressed P-256 point: what browsers get as applicationServerKey
  public_key      text NOT NULL,
  -- AES-GCM ciphertext (SECRETS_KEY) of the base64 PKCS#8 private key
  private_key_enc text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- A new customer put in front of the consultants: the escalation clock starts at notified_at; escalated_at is set
-- once (by whichever node claims it first) when the conversation is still unclaimed after the escalation minutes.
CREATE TABLE customer_notices (
  conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  customer_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  notified_at     timestamptz NOT NULL DEFAULT now(),
  escalated_at    timestamptz
);
CREATE INDEX customer_notices_pending_idx ON customer_notices (notified_at) WHERE escalated_at IS NULL;
