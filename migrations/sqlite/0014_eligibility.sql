-- Eligibility: the rules an election type keeps (alive always; age on the
-- seat's date, residence in the municipality, Danish citizenship, no
-- guardianship, each on or off), and the facts about a person they are
-- checked against. A fact left empty is not known, and refuses nobody.

ALTER TABLE election_types ADD COLUMN rule_age BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE election_types ADD COLUMN rule_residence BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE election_types ADD COLUMN rule_citizenship BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE election_types ADD COLUMN rule_guardianship BOOLEAN NOT NULL DEFAULT FALSE;
-- General elections and referendums also need citizenship and no guardianship.
UPDATE election_types SET rule_citizenship = TRUE, rule_guardianship = TRUE
    WHERE LOWER(name) LIKE '%folketing%' OR LOWER(name) LIKE '%afstemning%';

-- Where the person lives (the CPR register's four-digit municipality code).
ALTER TABLE people ADD COLUMN municipality_code TEXT
    CHECK (municipality_code IS NULL OR LENGTH(municipality_code) = 4);
ALTER TABLE people ADD COLUMN danish_citizen BOOLEAN;
ALTER TABLE people ADD COLUMN under_guardianship BOOLEAN;
-- Dead or missing, by the register.
ALTER TABLE people ADD COLUMN deceased BOOLEAN;
-- When any of the facts above were last given or looked up.
ALTER TABLE people ADD COLUMN facts_checked_at TEXT;
