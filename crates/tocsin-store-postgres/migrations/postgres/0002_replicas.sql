-- Which replicas are alive: each says so every few seconds, and the probed monitors are shared
-- among those that did lately. Not history: `tocsin store copy` leaves it out.
CREATE TABLE replicas (
    name    TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

-- Every replica caches its public pages; a change another replica commits to an incident or
-- its timeline tells them all at commit (one notification per transaction), so none serves a
-- stale status page.
CREATE FUNCTION tocsin_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tocsin_changes', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER incidents_changed AFTER INSERT OR UPDATE OR DELETE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_notify_changes();
CREATE TRIGGER timeline_changed AFTER INSERT OR UPDATE OR DELETE ON timeline_events
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_notify_changes();
