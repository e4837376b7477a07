-- Swaps the secretariat approves: the person's choice waits here until
-- the secretariat approves or refuses it.
CREATE TABLE swap_requests (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    from_seat_id INTEGER NOT NULL REFERENCES seats (id),
    to_seat_id INTEGER NOT NULL REFERENCES seats (id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'refused', 'taken', 'ended')),
    decided_by TEXT,
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX swap_requests_pending ON swap_requests (status, created_at);
CREATE INDEX swap_requests_instance ON swap_requests (instance_id);
