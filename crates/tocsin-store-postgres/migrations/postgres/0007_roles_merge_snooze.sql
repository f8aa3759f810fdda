-- Incident roles, merging and snoozing (docs/incidents.md); the same columns as SQLite's
-- 0023_roles_merge_snooze.sql, so `tocsin store copy` moves them unchanged.
--
-- `roles` holds who is commander, communications lead and scribe as JSON text; `merged_into`
-- names the incident a merged one ended in; `snoozed_until` is when an acknowledged incident's
-- snooze ends (epoch milliseconds).

ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN merged_into TEXT;
ALTER TABLE incidents ADD COLUMN snoozed_until BIGINT;
