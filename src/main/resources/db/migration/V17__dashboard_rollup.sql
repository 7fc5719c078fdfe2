-- Issue #11's benchmark (the dashboard at 100,000 registrations, p95 <= 200 ms for days=30): the registration facts
-- summed per day of registration in TIME_ZONE and per what the dashboard groups by, with the distributions as bucket
-- counts, so a read merges a few hundred rows instead of sorting every registration's values (docs/performance.md).
-- Written only by dashboard/OnboardingDays, called by dashboard/OnboardingFacts in the transaction that rewrites the
-- facts: the days of the rewritten rows are summed again from the facts.

-- Counts per day, job status, welcome source (the fallback's reason for fallbacks), Dify config and version.
CREATE TABLE onboarding_daily (
  day             date NOT NULL,
  status          text NOT NULL,
  source          text,
  fallback_reason text,
  config_id       text,
  config_version  text,
  registrations   int NOT NULL,
  welcomed        int NOT NULL,     -- with a welcome
  welcome_ms_sum  float8 NOT NULL,  -- for the mean welcome time
  welcome_ms_n    int NOT NULL,
  claimed         int NOT NULL,
  replied_24h     int NOT NULL,     -- the customer answered the welcome within 24 h
  answered        int NOT NULL,     -- the customer answered the welcome at all (its reply is due)
  escalated       int NOT NULL,
  UNIQUE NULLS NOT DISTINCT (day, status, source, fallback_reason, config_id, config_version)
);

-- Bucket counts per day, Dify config and version ('' for none) and measure: welcome_ms and agent_ms (the agent's
-- latency, welcomes it wrote only) in dashboard/Buckets.MILLISECONDS, claim_minutes and reply_minutes in
-- Buckets.MINUTES; bucket i as width_bucket numbers it (from bound i - 1 to bound i).
CREATE TABLE onboarding_daily_buckets (
  day            date NOT NULL,
  measure        text NOT NULL,
  config_id      text NOT NULL,
  config_version text NOT NULL,
  bucket         smallint NOT NULL,
  n              int NOT NULL,
  PRIMARY KEY (day, measure, config_id, config_version, bucket)
);

-- The zone and bounds the rollup was summed with; a process with others sums every day again at its first refresh.
ALTER TABLE onboarding_facts_mark ADD COLUMN rollup_layout text;

-- The welcomes whose 24 hours are not over yet (the one clock-dependent figure: the reply rate's denominator).
CREATE INDEX onboarding_facts_welcome_idx ON onboarding_facts (welcome_at);

-- New customers waiting now (the dashboard's and the console's count): the few open default conversations, not a scan
-- of every conversation ever had (15 ms at 100,000). An index only; conversations stay ConversationStore's.
CREATE INDEX conversations_waiting_idx ON conversations (created_at) WHERE status = 'open' AND is_default;

-- The backfill, in the default zone (a server configured with another zone sums again at its first refresh).
INSERT INTO onboarding_daily (day, status, source, fallback_reason, config_id, config_version, registrations,
  welcomed, welcome_ms_sum, welcome_ms_n, claimed, replied_24h, answered, escalated)
SELECT (f.registered_at AT TIME ZONE 'Asia/Shanghai')::date, f.status, f.source,
  CASE WHEN f.source = 'fallback' THEN coalesce(f.fallback_reason, 'unknown') END, f.config_id, f.config_version,
  count(*), count(f.welcome_at), coalesce(sum(f.welcome_ms::float8), 0), count(f.welcome_ms), count(f.claim_minutes),
  count(*) FILTER (WHERE f.customer_message_at >= f.welcome_at
    AND f.customer_message_at < f.welcome_at + interval '24 hours'),
  count(*) FILTER (WHERE f.customer_message_at >= f.welcome_at), count(*) FILTER (WHERE f.escalated)
FROM onboarding_facts f GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO onboarding_daily_buckets (day, measure, config_id, config_version, bucket, n)
SELECT (f.registered_at AT TIME ZONE 'Asia/Shanghai')::date, m.measure, coalesce(f.config_id, ''),
  coalesce(f.config_version, ''),
  width_bucket(m.v::float8, CASE WHEN m.minutes THEN '{0.25,0.5,0.75,1,1.5,2,2.5,3,3.5,4,4.5,5,5.5,6,6.5,7,7.5,8,8.5,9,9.5,10,10.5,11,11.5,12,12.5,13,13.5,14,14.5,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,32.5,35,37.5,40,42.5,45,47.5,50,52.5,55,57.5,60,70,80,90,100,110,120,150,180,240,360,480,720,1440,2880,4320,10080}'::float8[]
    ELSE '{100,200,300,400,500,600,700,800,900,1000,1100,1200,1300,1400,1500,1600,1700,1800,1900,2000,2100,2200,2300,2400,2500,2600,2700,2800,2900,3000,3250,3500,3750,4000,4250,4500,4750,5000,5250,5500,5750,6000,6250,6500,6750,7000,7250,7500,7750,8000,8250,8500,8750,9000,9250,9500,9750,10000,11000,12000,13000,14000,15000,16000,17000,18000,19000,20000,21000,22000,23000,24000,25000,26000,27000,28000,29000,30000,35000,40000,45000,50000,55000,60000,90000,120000,180000,300000,600000}'::float8[] END),
  count(*)
FROM onboarding_facts f
CROSS JOIN LATERAL (VALUES ('welcome_ms', f.welcome_ms, false),
  ('agent_ms', CASE WHEN f.source <> 'fallback' THEN f.agent_ms END, false),
  ('claim_minutes', f.claim_minutes, true), ('reply_minutes', f.first_reply_minutes, true)) AS m (measure, v, minutes)
WHERE m.v IS NOT NULL GROUP BY 1, 2, 3, 4, 5;

UPDATE onboarding_facts_mark SET rollup_layout = 'Asia/Shanghai ms{100,200,300,400,500,600,700,800,900,1000,1100,1200,1300,1400,1500,1600,1700,1800,1900,2000,2100,2200,2300,2400,2500,2600,2700,2800,2900,3000,3250,3500,3750,4000,4250,4500,4750,5000,5250,5500,5750,6000,6250,6500,6750,7000,7250,7500,7750,8000,8250,8500,8750,9000,9250,9500,9750,10000,11000,12000,13000,14000,15000,16000,17000,18000,19000,20000,21000,22000,23000,24000,25000,26000,27000,28000,29000,30000,35000,40000,45000,50000,55000,60000,90000,120000,180000,300000,600000} min{0.25,0.5,0.75,1,1.5,2,2.5,3,3.5,4,4.5,5,5.5,6,6.5,7,7.5,8,8.5,9,9.5,10,10.5,11,11.5,12,12.5,13,13.5,14,14.5,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,32.5,35,37.5,40,42.5,45,47.5,50,52.5,55,57.5,60,70,80,90,100,110,120,150,180,240,360,480,720,1440,2880,4320,10080}';
