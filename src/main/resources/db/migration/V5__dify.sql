-- R002: which Dify config each user was given (A/B by weight, sticky per user), so a user keeps their variant
-- while the configs around it change; a disabled or deleted config frees its users for a new draw.
CREATE TABLE dify_user_assignments (
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose     text NOT NULL,
  config_id   uuid NOT NULL REFERENCES dify_configs (id) ON DELETE CASCADE,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, purpose)
);
CREATE INDEX dify_user_assignments_config_idx ON dify_user_assignments (config_id);
