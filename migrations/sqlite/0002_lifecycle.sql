-- The recruitment lifecycle: seat codes for the station's list, check-in,
-- the station's responsible, standby pools, offers to standby people, and
-- the bookkeeping of scheduled workflows.

-- Each seat has a code unique at its station on its date (`S1`, `S2`, …),
-- printed on the station's list, so that the station's responsible can
-- report a no-show as `UDEBLEVET S3`.
ALTER TABLE seats ADD COLUMN code TEXT;
UPDATE seats SET code = 'S' || (
    SELECT COUNT(*) FROM seats b
    WHERE b.station_id = seats.station_id AND b.date = seats.date AND b.id <= seats.id
);
CREATE UNIQUE INDEX seats_code ON seats (station_id, date, code);
-- When the seat's person replied MØDT (checked in) on the day.
ALTER TABLE seats ADD COLUMN checked_in_at TEXT;

-- The valgstyrerformand: the person whose phone may report no-shows.
ALTER TABLE stations ADD COLUMN responsible_person_id INTEGER REFERENCES people (id);

-- People who can step in on a date: for one station, one area, one task
-- type, or any seat (all NULL).
CREATE TABLE standby (
    id INTEGER PRIMARY KEY,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    date TEXT NOT NULL,
    station_id INTEGER REFERENCES stations (id),
    area_id INTEGER REFERENCES areas (id),
    task_type_id INTEGER REFERENCES task_types (id),
    created_at TEXT NOT NULL
);
CREATE INDEX standby_date ON standby (election_id, date);
CREATE UNIQUE INDEX standby_once ON standby (
    person_id, date, COALESCE(station_id, 0), COALESCE(area_id, 0), COALESCE(task_type_id, 0)
);

-- A question is an `ask` (to the seat's person) or an `offer` (of a vacant
-- seat to a standby person, first yes wins).
ALTER TABLE questions ADD COLUMN kind TEXT NOT NULL DEFAULT 'ask' CHECK (kind IN ('ask', 'offer'));
CREATE INDEX questions_open_offers ON questions (seat_id) WHERE closed_at IS NULL AND kind = 'offer';

-- Timers gain `wave`: offer the seat to the next standby people.
CREATE TABLE timers_new (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances (id),
    question_id INTEGER REFERENCES questions (id),
    kind TEXT NOT NULL CHECK (kind IN ('remind', 'timeout', 'wave')),
    due_at TEXT NOT NULL,
    queued_at TEXT,
    fired_at TEXT,
    cancelled_at TEXT
);
INSERT INTO timers_new SELECT id, instance_id, question_id, kind, due_at, queued_at, fired_at, cancelled_at FROM timers;
DROP TABLE timers;
ALTER TABLE timers_new RENAME TO timers;
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_instance ON timers (instance_id);

-- Scheduled workflows: per workflow (by name, so a new revision does not
-- run an occurrence again), election and anchor date, the latest
-- occurrence handled, and how far the fan-out of the current one got.
CREATE TABLE schedule_runs (
    id INTEGER PRIMARY KEY,
    workflow TEXT NOT NULL,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    anchor_date TEXT NOT NULL,
    -- The latest occurrence run to the end or skipped.
    last_at TEXT,
    -- The occurrence being fanned out, and the last seat it reached.
    running_at TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    UNIQUE (workflow, election_id, anchor_date)
);
