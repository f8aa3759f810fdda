-- The subscriber mail round asks four times a second whether a public update was posted since
-- its cursor. Without an index that question either scans every event since the cursor or has
-- the cursor rewritten after every event: a write (and an fsync) on every round of an alert storm,
-- which also empties the main writer's page cache. Updates are rare, so this index is small and
-- written only when someone posts one. (`timeline_updates`, by incident first, cannot answer
-- "the newest update" without reading all of them.)
CREATE INDEX timeline_update_seqs ON timeline_events (seq) WHERE kind = 'update';
