-- Activation: an election that is not active sends nothing automatic.
-- Several elections may be active at once (a referendum held with a
-- general election, the next election prepared while one runs).
DROP INDEX elections_one_active;
-- An instance started on a seat of an inactive election is stored in its
-- first state and held here until the election is activated.
CREATE TABLE held_instances (
    instance_id BIGINT PRIMARY KEY REFERENCES instances (id),
    election_id BIGINT NOT NULL REFERENCES elections (id),
    held_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX held_instances_election ON held_instances (election_id, instance_id);
