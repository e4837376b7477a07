-- The service processes sharing this database. A delivery attempt is
-- claimed by one of them; while it beats (every tick) its claims are its
-- own. One that stopped beating, or that a process starting on the same
-- host finds gone, is dead: its claims are released at once, marked as
-- possibly sent.
CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    -- Host name and boot: a pid means something only on the same one.
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    beat_at TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX outbox_claims ON outbox (claimed_by) WHERE status = 'sending';
