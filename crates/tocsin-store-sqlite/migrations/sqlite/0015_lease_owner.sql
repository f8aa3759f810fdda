-- One leased queue for every kind of due work: each queue's rows say who holds their lease, so a
-- store releases only its own leases at start-up (see `tocsin_store::Queue`).
ALTER TABLE monitors ADD COLUMN claimed_by TEXT;
ALTER TABLE timers ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE subscriber_mail ADD COLUMN claimed_by TEXT;
ALTER TABLE comms_mail ADD COLUMN claimed_by TEXT;
ALTER TABLE drills ADD COLUMN claimed_by TEXT;
ALTER TABLE postmortems ADD COLUMN claimed_by TEXT;
ALTER TABLE review_digests ADD COLUMN claimed_by TEXT;
