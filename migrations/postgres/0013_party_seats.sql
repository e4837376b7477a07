-- Party seats: a notification can be for the responsibles of one team (a
-- party secretary) instead of the secretariat; it is on their follow-up
-- list, and e-mailed to them.
ALTER TABLE notifications ADD COLUMN team_id BIGINT REFERENCES teams (id);
CREATE INDEX notifications_open_team ON notifications (team_id, id) WHERE resolved_at IS NULL;
