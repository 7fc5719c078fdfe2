-- The PRD's tables (§5.1, §5.2) in PostgreSQL types, with the constraints that keep the data correct.
-- gen_random_uuid() is built in since PostgreSQL 13.

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username      text NOT NULL CHECK (char_length(username) BETWEEN 3 AND 32),
  email         text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('customer', 'consultant', 'doctor', 'operator', 'admin')),
  full_name     text CHECK (char_length(full_name) <= 100),
  phone         text CHECK (char_length(phone) <= 32),
  gender        text CHECK (gender IN ('male', 'female', 'other', 'unknown')),
  birth_date    date,
  interests     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 20),
  source        text CHECK (char_length(source) <= 64),
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- usernames and emails are unique regardless of case
CREATE UNIQUE INDEX users_username_lower_uq ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_uq ON users (lower(email));
CREATE INDEX users_role_active_idx ON users (role) WHERE is_active;

CREATE TABLE conversations (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title            text NOT NULL CHECK (char_length(title) <= 200),
  assistant_id     text,
  assistant_name   text,
  is_ai_controlled boolean NOT NULL DEFAULT true,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'closed')),
  -- the conversation opened by the registration automation; at most one per customer
  is_default       boolean NOT NULL DEFAULT false,
  consultant_id    uuid REFERENCES users (id) ON DELETE SET NULL,
  claimed_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'claimed') = (consultant_id IS NOT NULL AND claimed_at IS NOT NULL) OR status = 'closed')
);
CREATE UNIQUE INDEX conversations_one_default_uq ON conversations (customer_id) WHERE is_default;
CREATE INDEX conversations_customer_idx ON conversations (customer_id, created_at DESC);
CREATE INDEX conversations_consultant_idx ON conversations (consultant_id, updated_at DESC) WHERE consultant_id IS NOT NULL;
CREATE INDEX conversations_unclaimed_idx ON conversations (created_at) WHERE status = 'open';

CREATE TABLE messages (
  -- seq orders messages and is the ?after= cursor; id is the public identity
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  sender_id       uuid REFERENCES users (id) ON DELETE SET NULL,
  sender_type     text NOT NULL CHECK (sender_type IN ('customer', 'consultant', 'ai', 'system')),
  kind            text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'welcome', 'system')),
  content         text NOT NULL CHECK (char_length(content) <= 20000),
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq);
-- one welcome per conversation, whatever retries or crashes happen
CREATE UNIQUE INDEX messages_one_welcome_uq ON messages (conversation_id) WHERE kind = 'welcome';

CREATE TABLE system_settings (
  key        text PRIMARY KEY CHECK (key ~ '^[a-z0-9_.]{1,100}$'),
  value      jsonb NOT NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dify_configs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  purpose     text NOT NULL DEFAULT 'welcome' CHECK (purpose ~ '^[a-z_]{1,32}$'),
  base_url    text NOT NULL CHECK (base_url ~ '^https?://'),
  app_id      text,
  -- AES-GCM ciphertext (base64 of nonce || ciphertext || tag); the plain key is never stored
  api_key_enc text NOT NULL,
  mode        text NOT NULL DEFAULT 'agent' CHECK (mode IN ('agent', 'chat')),
  response_mode text NOT NULL DEFAULT 'streaming' CHECK (response_mode IN ('streaming', 'blocking')),
  version     text NOT NULL DEFAULT '1',
  weight      integer NOT NULL DEFAULT 100 CHECK (weight BETWEEN 0 AND 10000),
  enabled     boolean NOT NULL DEFAULT true,
  timeout_ms  integer NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 100 AND 600000),
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- agent apps refuse blocking mode (Dify answers 400 invalid_param)
  CHECK (mode = 'chat' OR response_mode = 'streaming')
);
CREATE UNIQUE INDEX dify_configs_name_uq ON dify_configs (lower(name));
CREATE INDEX dify_configs_purpose_idx ON dify_configs (purpose) WHERE enabled;

CREATE TABLE mcp_tool_groups (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{1,99}$'),
  description text,
  -- the key: AES-GCM ciphertext, and a keyed hash (HMAC-SHA256, hex) to find the group by key
  api_key_enc  text,
  api_key_hash text UNIQUE,
  enabled     boolean NOT NULL DEFAULT true,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((api_key_enc IS NULL) = (api_key_hash IS NULL))
);
CREATE INDEX mcp_tool_groups_enabled_idx ON mcp_tool_groups (enabled);
CREATE INDEX mcp_tool_groups_created_by_idx ON mcp_tool_groups (created_by);

CREATE TABLE mcp_tools (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tool_name       text NOT NULL UNIQUE CHECK (tool_name ~ '^[a-z][a-z0-9_]{1,99}$'),
  group_id        uuid NOT NULL REFERENCES mcp_tool_groups (id) ON DELETE CASCADE,
  version         text NOT NULL DEFAULT '1.0.0',
  description     text,
  enabled         boolean NOT NULL DEFAULT true,
  timeout_seconds integer NOT NULL DEFAULT 30 CHECK (timeout_seconds BETWEEN 1 AND 300),
  config_data     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_tools_group_enabled_idx ON mcp_tools (group_id, enabled);

CREATE TABLE mcp_call_logs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tool_name     text NOT NULL,
  -- logs outlive a deleted group: keep the row, drop the link
  group_id      uuid REFERENCES mcp_tool_groups (id) ON DELETE SET NULL,
  caller_app_id text,
  request_data  jsonb,
  response_data jsonb,
  success       boolean NOT NULL,
  error_message text,
  duration_ms   integer CHECK (duration_ms >= 0),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_call_logs_tool_success_time_idx ON mcp_call_logs (tool_name, success, created_at);
CREATE INDEX mcp_call_logs_group_time_idx ON mcp_call_logs (group_id, created_at);
CREATE INDEX mcp_call_logs_caller_time_idx ON mcp_call_logs (caller_app_id, created_at);
