-- The election the secretariat works on now: the admin's pages and the
-- board open on it. At most one is active.

ALTER TABLE elections ADD COLUMN active BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX elections_one_active ON elections (active) WHERE active;
