-- How long personal data is kept (one row per installation), changeable by
-- the secretariat: message texts (sent and received) for months after the
-- election's last day, the audit log for months, and people for days
-- after the last election they took part in or they were last added or
-- changed. The purge runs by itself once a day from `next_run_at`, which
-- the first tick sets a week ahead, so that an installation or an upgrade
-- gives the secretariat time to see the preview before anything goes.
CREATE TABLE retention_policy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    message_months INTEGER NOT NULL DEFAULT 4 CHECK (message_months BETWEEN 1 AND 120),
    audit_months INTEGER NOT NULL DEFAULT 6 CHECK (audit_months BETWEEN 1 AND 120),
    people_days INTEGER NOT NULL DEFAULT 60 CHECK (people_days BETWEEN 1 AND 3650),
    next_run_at TEXT
);
INSERT INTO retention_policy (id) VALUES (1);
CREATE INDEX inbound_received ON inbound (received_at);
-- When a person was last added, imported again, changed or put on a team:
-- the people rule counts from it.
ALTER TABLE people ADD COLUMN touched_at TEXT;
UPDATE people SET touched_at = created_at;
