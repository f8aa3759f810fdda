-- The reply code each SMS page carries; the same columns as SQLite's 0021_reply_codes.sql, so
-- `tocsin store copy` moves them unchanged.
CREATE TABLE reply_codes (
    delivery_id TEXT PRIMARY KEY REFERENCES deliveries (id),
    channel     TEXT NOT NULL,
    code        TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    contact     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX reply_codes_by_code ON reply_codes (channel, code, created_at);
