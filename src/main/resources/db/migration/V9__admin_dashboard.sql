-- Issue #11: the figures of the admin dashboard and the customer timeline (SPEC §9), recorded as rows.

-- The first human reply and the customer's first message per conversation (PRD §10.2 首次响应; a welcome variant is
-- judged by whether the customer answered it). Set once, by the statement that stores the message (ConversationStore).
ALTER TABLE conversations
  ADD COLUMN first_consultant_reply_at timestamptz,
  ADD COLUMN first_customer_message_at timestamptz;
UPDATE conversations c SET first_consultant_reply_at = m.first_at
FROM (SELECT conversation_id, min(created_at) AS first_at FROM messages WHERE sender_type = 'consultant'
      GROUP BY conversation_id) m
WHERE m.conversation_id = c.id;
UPDATE conversations c SET first_customer_message_at = m.first_at
FROM (SELECT conversation_id, min(created_at) AS first_at FROM messages WHERE sender_type = 'customer'
      GROUP BY conversation_id) m
WHERE m.conversation_id = c.id;

-- The customer a tool call was made for: the user of the call's context token (null without one). No foreign key:
-- the log outlives the user, like its group link. The timeline lists a customer's calls through this index.
ALTER TABLE mcp_call_logs ADD COLUMN subject_user_id uuid;
CREATE INDEX mcp_call_logs_subject_idx ON mcp_call_logs (subject_user_id, created_at) WHERE subject_user_id IS NOT NULL;

-- The dashboard's window is by registration time (its days are days of registration in TIME_ZONE).
CREATE INDEX automation_jobs_registered_idx ON automation_jobs (registered_at);
-- Recent errors, newest first, without reading the successful steps.
CREATE INDEX automation_job_steps_errors_idx ON automation_job_steps (created_at) WHERE NOT success;
-- Failed and dead jobs, filtered by when they last changed (the console's list and the batch retry).
CREATE INDEX automation_jobs_retryable_idx ON automation_jobs (updated_at) WHERE status IN ('failed', 'dead');
-- Incremental refresh of the facts below: rows whose job, conversation or escalation changed since the last mark.
CREATE INDEX automation_jobs_updated_idx ON automation_jobs (updated_at);
CREATE INDEX conversations_updated_idx ON conversations (updated_at);
CREATE INDEX customer_notices_escalated_idx ON customer_notices (escalated_at) WHERE escalated_at IS NOT NULL;
-- from a changed conversation or notice to its job (a nested loop instead of a scan of every job)
CREATE INDEX automation_jobs_conversation_idx ON automation_jobs (conversation_id);

-- The dashboard's registration figures, one narrow row per registration (a rollup of its job, welcome message,
-- conversation and notice): joining those four tables for 100,000 registrations took seconds, reading this takes
-- tens of milliseconds (docs/performance.md). Written only by dashboard/OnboardingFacts, which brings the rows
-- whose sources changed since refreshed_to up to date before each read (so the figures are never stale).
CREATE TABLE onboarding_facts (
  job_id              uuid PRIMARY KEY REFERENCES automation_jobs (id) ON DELETE CASCADE,
  registered_at       timestamptz NOT NULL,
  status              text NOT NULL,
  welcome_at          timestamptz,
  welcome_ms          real,
  source              text,
  fallback_reason     text,
  config_id           text,
  config_version      text,
  agent_ms            real,
  claim_minutes       real,
  first_reply_minutes real,
  customer_message_at timestamptz,
  escalated           boolean NOT NULL
);
CREATE INDEX onboarding_facts_registered_idx ON onboarding_facts (registered_at);
-- the fallback reasons of a window: a few per cent of the rows
CREATE INDEX onboarding_facts_fallback_idx ON onboarding_facts (registered_at) WHERE source = 'fallback';
-- when the facts were last brought up to date; null: never (the next refresh reads every registration)
CREATE TABLE onboarding_facts_mark (
  id           smallint PRIMARY KEY CHECK (id = 1),
  refreshed_to timestamptz
);
INSERT INTO onboarding_facts_mark (id, refreshed_to) VALUES (1, now());
INSERT INTO onboarding_facts
SELECT j.id, j.registered_at, j.status, m.created_at,
  (extract(epoch FROM m.created_at - j.registered_at) * 1000)::real,
  m.metadata ->> 'source', m.metadata ->> 'fallback_reason', m.metadata ->> 'config_id',
  m.metadata ->> 'config_version', (m.metadata ->> 'latency_ms')::real,
  (extract(epoch FROM c.claimed_at - coalesce(n.notified_at, j.registered_at)) / 60)::real,
  (extract(epoch FROM c.first_consultant_reply_at - j.registered_at) / 60)::real,
  c.first_customer_message_at, n.escalated_at IS NOT NULL
FROM automation_jobs j
LEFT JOIN messages m ON m.id = j.welcome_message_id
LEFT JOIN conversations c ON c.id = j.conversation_id
LEFT JOIN customer_notices n ON n.conversation_id = j.conversation_id;

-- MCP call figures per 15-minute slice, tool and duration bucket (width_bucket over McpStore.DURATION_BOUNDS_MS:
-- bucket i holds durations from bound i to bound i + 1), written by McpStore in the statement that writes each
-- call-log batch. The dashboard's calls, errors and p95 per tool read these few rows instead of every call; the
-- p95 is interpolated within its bucket, as Prometheus' histogram_quantile does. 15-minute slices start on UTC
-- quarter hours, so the local midnight of every time zone falls on a slice boundary.
CREATE TABLE mcp_call_stats (
  slice     timestamptz NOT NULL,
  tool_name text NOT NULL,
  le        smallint NOT NULL,
  calls     bigint NOT NULL,
  errors    bigint NOT NULL,
  PRIMARY KEY (slice, tool_name, le)
);
INSERT INTO mcp_call_stats (slice, tool_name, le, calls, errors)
SELECT date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), tool_name,
  width_bucket(coalesce(duration_ms, 0), ARRAY[1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750,
    1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000]),
  count(*), count(*) FILTER (WHERE NOT success)
FROM mcp_call_logs GROUP BY 1, 2, 3;
