-- Issue #10 (3): a server process's death is something PostgreSQL knows at once. Each process takes a number from
-- this sequence at start and holds the session-level advisory lock (class 0x616e6d65, number) on a connection of its
-- own while it lives (db/InstanceLock); when the process dies, its backend ends and the lock is free. A lease stamped
-- with a number whose lock is free is claimable at once; the lease's end stays the backstop for a process that is
-- alive but stuck. Numbers are never reused, so a new process can't be mistaken for a dead one.
CREATE SEQUENCE server_instance_seq AS integer;

-- the instance that holds a running job's lease (meaningful while status = 'running'; NULL on leases from before)
ALTER TABLE automation_jobs ADD COLUMN lease_instance integer;

-- the instance whose escalation pass holds a notice's lease
ALTER TABLE customer_notices ADD COLUMN escalation_lease_instance integer;
