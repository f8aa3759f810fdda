-- Runbooks: an incident's checklist ticks are read from its timeline by kind, and changes are
-- listed per service over a window (the incident's two hours before it began).

CREATE INDEX timeline_by_incident_kind ON timeline_events (incident_id, kind, seq);
CREATE INDEX changes_by_service ON changes (service, occurred_at);
CREATE INDEX changes_by_occurred ON changes (occurred_at);
