-- R003 escalation, at least once: a pass leases an overdue notice, announces it again, and only then marks it
-- escalated. A node that dies in between leaves a lease that runs out, and a later pass (on any node) escalates the
-- customer then. Repeating is safe: the inbox rows and the admin alert are idempotent by their dedupe keys, and a
-- Web Push a push service already accepted is not sent again.
ALTER TABLE customer_notices ADD COLUMN escalation_leased_until timestamptz;
