-- People who sign in to the web UI, and their sessions.
--
-- A session's id is the SHA-256 (hex) of the random 32-byte token in the person's cookie: a copy
-- of this table is no key to anyone's session. `expires_at` is the absolute end (7 days after
-- sign-in); a session also ends after 12 hours without a request (`last_seen_at`). Changing a
-- password deletes that person's sessions.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    email               TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role                TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    -- Argon2id, as a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
    password_hash       TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
