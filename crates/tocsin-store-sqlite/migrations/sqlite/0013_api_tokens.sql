-- API tokens made with `tocsin token create --role …`: only a SHA-256 of each is kept, so the
-- database never holds a usable token.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
