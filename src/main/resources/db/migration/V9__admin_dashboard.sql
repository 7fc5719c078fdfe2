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
