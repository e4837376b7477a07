-- CPR numbers are sealed at rest with a key kept outside the database
-- (`VALGVAGT_DATA_KEY`) and found by a keyed hash. The column keeps the
-- sealed value; rows written before this migration hold the number in
-- clear with no hash until the service seals them when it starts
-- (`Tx::seal_clear_cprs`), in the same start, before anything else runs.
ALTER TABLE people RENAME COLUMN cpr TO cpr_sealed;
ALTER TABLE people ADD COLUMN cpr_hash TEXT;
CREATE UNIQUE INDEX people_cpr_hash ON people (cpr_hash);
