-- The message a chat app (the Slack app) posted for an incident, per channel: later notices of
-- the incident update it in place (`chat.update`) and reply in its thread. `conversation` is the
-- chat's own channel id and `ts` the message's id there, as the chat answered the post.
CREATE TABLE chat_messages (
    incident_id  TEXT NOT NULL,
    channel      TEXT NOT NULL,
    conversation TEXT NOT NULL,
    ts           TEXT NOT NULL,
    posted_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, channel)
);
