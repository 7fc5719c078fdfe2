-- Issue #10/#11: one audit log for every admin change (REST API and MCP admin tools), and the admin-alert outbox.

-- Every change an admin (or an MCP admin tool) makes: who, when, what, before → after. Written by
-- audit/AuditStore only, inside the transaction of the change it records. No secret is ever stored here: keys,
-- Dify API keys, passwords and hashes are left out or "******".
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  -- the user (kind user), else null; no foreign key: the record outlives the account
  actor_id    uuid,
  -- as the console shows it, fixed at the time of the change: the user's display name, the MCP group (key) name
  actor_name  text NOT NULL CHECK (char_length(actor_name) <= 200),
  actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'mcp', 'system')),
  action      text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  target_type text NOT NULL CHECK (target_type ~ '^[a-z_]{1,40}$'),
  target_id   text CHECK (char_length(target_id) <= 200),
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC);

-- mcp_audit_log's rows move here (same times, same actors) and the table goes: one audit log, one owner.
INSERT INTO audit_log (at, actor_id, actor_name, actor_kind, action, target_type, target_id, before, after)
SELECT a.created_at, a.actor_id,
       coalesce((SELECT coalesce(nullif(u.full_name, ''), u.username) FROM users u WHERE u.id = a.actor_id), '未知用户'),
       'user',
       CASE a.action WHEN 'group_created' THEN 'mcp.group.create' WHEN 'group_updated' THEN 'mcp.group.update'
                     WHEN 'group_deleted' THEN 'mcp.group.delete' WHEN 'key_viewed' THEN 'mcp.key.view'
                     WHEN 'key_rotated' THEN 'mcp.key.rotate' ELSE 'mcp.tool.update' END,
       CASE WHEN a.action = 'tool_updated' THEN 'mcp_tool' ELSE 'mcp_group' END,
       coalesce(a.tool_id, a.group_id)::text,
       NULL,
       nullif(a.details, '{}'::jsonb)
FROM mcp_audit_log a ORDER BY a.id;
DROP TABLE mcp_audit_log;

-- Admin alerts that must not be lost: written in the same statement as what raised them (a job marked dead), then
-- delivered to the admins' inboxes by the NotificationVerticle, which leases a row, writes the alert (idempotent by
-- its dedupe key) and only then marks it delivered. A crash anywhere in between leaves the row to a later pass.
CREATE TABLE admin_alert_outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text NOT NULL CHECK (kind ~ '^[a-z_]{1,64}$'),
  message      text NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  leased_until timestamptz,
  delivered_at timestamptz
);
CREATE INDEX admin_alert_outbox_pending_idx ON admin_alert_outbox (id) WHERE delivered_at IS NULL;
