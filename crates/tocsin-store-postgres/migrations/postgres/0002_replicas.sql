-- Which replicas are alive: each says so every few seconds, and the probed monitors are shared
-- among those that did lately. Not history: `tocsin store copy` leaves it out.
CREATE TABLE replicas (
    name    TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
