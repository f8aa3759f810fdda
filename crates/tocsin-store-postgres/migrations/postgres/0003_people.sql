-- People and API tokens an admin can manage (`tocsin user disable|enable|role|remove`,
-- `tocsin token create --name … --expires …`, `token list`, `token revoke`); the same columns
-- as SQLite's 0019_people.sql, so `tocsin store copy` moves them unchanged.
--
-- A disabled person keeps their row (and their name on timelines) but cannot sign in; their
-- sessions are deleted when it is set. A token gets a name for the timeline, an optional
-- expiry, the time it was last used (written at most about once a minute) and, once revoked,
-- when. Tokens made before this migration are named after their role, which is what the
-- timeline called them until now.

ALTER TABLE users ADD COLUMN disabled_at BIGINT;

ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
UPDATE api_tokens SET name = role WHERE name = '';
