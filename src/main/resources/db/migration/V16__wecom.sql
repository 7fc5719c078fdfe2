-- Issue #15: WeCom (企业微信) application messages as an offline channel. The channel's own rows go in
-- offline_sends (channel 'wecom', V12); these two tables hold what only WeCom needs. Both owned by
-- notify/wecom/WeComStore.

-- The app secret saved in the admin console (notification settings), sealed with SECRETS_KEY (security/SecretBox).
-- One row at most; no row = the WECOM_SECRET env value applies. Kept out of the settings document so that neither
-- the audit's before/after nor a settings export ever carries it, sealed or not.
CREATE TABLE wecom_secret (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  sealed     text NOT NULL,
  updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Staff whose WeCom user id WeCom refused (81013 "all recipients invalid", or the id listed in invaliduser of a
-- successful answer): recorded per staff member with the id that was refused, shown in the admin console, and not
-- tried again while the account still has that id. A send that reaches the staff member deletes the row.
CREATE TABLE wecom_recipient_problems (
  user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  wecom_userid text NOT NULL,
  errcode      integer,
  error        text NOT NULL CHECK (char_length(error) <= 500),
  seen_at      timestamptz NOT NULL DEFAULT now()
);
