-- Issue #17 (SPEC §11): key rotation with a grace period, per-key and per-tool quotas, the welcome guard's facts.

-- Key rotation grace: the previous key (its keyed hash only: nobody needs to read it again) stays valid until
-- previous_key_valid_until; both null when there is none. Only McpStore writes these.
ALTER TABLE mcp_tool_groups
  ADD COLUMN previous_key_hash text UNIQUE,
  ADD COLUMN previous_key_valid_until timestamptz,
  ADD CONSTRAINT mcp_tool_groups_previous_key_ck
    CHECK ((previous_key_hash IS NULL) = (previous_key_valid_until IS NULL));

-- Quotas: a token bucket (rate_per_second refilled continuously, burst = the bucket's size) and a cap on calls in
-- flight; null = unlimited. On a group they limit its key; on a tool row, calls of that tool through that group.
ALTER TABLE mcp_tool_groups
  ADD COLUMN rate_per_second double precision
    CHECK (rate_per_second IS NULL OR (rate_per_second >= 0.01 AND rate_per_second <= 100000)),
  ADD COLUMN burst integer CHECK (burst IS NULL OR burst BETWEEN 1 AND 1000000),
  ADD COLUMN max_concurrent integer CHECK (max_concurrent IS NULL OR max_concurrent BETWEEN 1 AND 100000),
  ADD CONSTRAINT mcp_tool_groups_burst_needs_rate_ck CHECK (burst IS NULL OR rate_per_second IS NOT NULL);
ALTER TABLE mcp_tools
  ADD COLUMN rate_per_second double precision
    CHECK (rate_per_second IS NULL OR (rate_per_second >= 0.01 AND rate_per_second <= 100000)),
  ADD COLUMN burst integer CHECK (burst IS NULL OR burst BETWEEN 1 AND 1000000),
  ADD COLUMN max_concurrent integer CHECK (max_concurrent IS NULL OR max_concurrent BETWEEN 1 AND 100000),
  ADD CONSTRAINT mcp_tools_burst_needs_rate_ck CHECK (burst IS NULL OR rate_per_second IS NOT NULL);

-- The seeded groups' defaults: far above what Dify's welcomes need (two tool calls per welcome, docs/safety.md
-- measures the PRD's 100 registrations at once), low enough that a leaked or looping key can't flood the server.
UPDATE mcp_tool_groups SET rate_per_second = 100, burst = 200, max_concurrent = 100;

-- Which key a call presented: 'current', or 'previous' during a rotation's grace (so the admin sees when Dify has
-- switched); null for in-process calls (an admin's test call). Rows refused by a quota have success = false and an
-- error starting with 'rate_limited'.
ALTER TABLE mcp_call_logs ADD COLUMN key_used text CHECK (key_used IS NULL OR key_used IN ('current', 'previous'));
-- the previous key's last use, per group, without reading the other rows
CREATE INDEX mcp_call_logs_previous_key_idx ON mcp_call_logs (group_id, id) WHERE key_used = 'previous';

-- The welcome guard's verdict per registration, for the dashboard (the rollup's owner, OnboardingFacts, fills them
-- from the welcome message's metadata.guard).
ALTER TABLE onboarding_facts
  ADD COLUMN guard_result text,
  ADD COLUMN guard_rules text[];
