-- R001: the durable registration automation. A job row is written with the user (one statement), then engines
-- claim due jobs with FOR UPDATE SKIP LOCKED and a lease; every step is recorded in the step log.

CREATE TABLE automation_jobs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- one automation per registration
  user_id         uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'failed', 'dead', 'succeeded', 'skipped')),
  -- claims so far; a crash-reclaim counts too, so a job that kills its engine can't loop for ever
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- when the job is next due: its first run, its retry, or (running) the end of its lease
  next_run_at     timestamptz NOT NULL DEFAULT now(),
  -- the claim's fencing token: every write of a running job names it, so an engine that lost its lease writes nothing
  lease_token     uuid,
  lease_owner     text,
  -- progress, filled by the steps
  conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
  welcome         jsonb,
  welcome_message_id uuid,
  notify_result   jsonb,
  last_step       text,
  last_error      text,
  registered_at   timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  CHECK ((status = 'running') = (lease_token IS NOT NULL))
);
CREATE INDEX automation_jobs_due_idx ON automation_jobs (next_run_at) WHERE status IN ('pending', 'running', 'failed');
CREATE INDEX automation_jobs_status_idx ON automation_jobs (status, updated_at DESC);

CREATE TABLE automation_job_steps (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id      uuid NOT NULL REFERENCES automation_jobs (id) ON DELETE CASCADE,
  step        text NOT NULL
              CHECK (step IN ('conversation_created', 'welcome_generated', 'welcome_sent', 'consultants_notified')),
  attempt     integer NOT NULL,
  success     boolean NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  error       text,
  detail      jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX automation_job_steps_job_idx ON automation_job_steps (job_id, id);
-- a step succeeds at most once per job, whatever crashes and retries happen
CREATE UNIQUE INDEX automation_job_steps_once_uq ON automation_job_steps (job_id, step) WHERE success;
