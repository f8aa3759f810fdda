-- The reply code each SMS page carries (docs/integrations/sms.md): a reply with the code, from
-- the number the page went to, acknowledges the incident as that contact. One row per delivery,
-- written before the first send; a resend keeps it.
CREATE TABLE reply_codes (
    delivery_id TEXT PRIMARY KEY REFERENCES deliveries (id),
    channel     TEXT NOT NULL,
    code        TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    contact     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX reply_codes_by_code ON reply_codes (channel, code, created_at);
