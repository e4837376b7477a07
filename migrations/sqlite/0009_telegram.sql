-- Telegram. A person may link a chat with the bot (`/start <token>` from
-- the deep link in an invitation); several people may share one chat, as
-- they may share a phone. A chat message can carry inline buttons.
ALTER TABLE people ADD COLUMN telegram_chat_id INTEGER;
-- Linking makes the chat the preferred channel; unlinking gives back the
-- preference the person had.
ALTER TABLE people ADD COLUMN preferred_before_telegram TEXT
    CHECK (preferred_before_telegram IN ('sms', 'email'));
CREATE INDEX people_telegram_chat ON people (telegram_chat_id) WHERE telegram_chat_id IS NOT NULL;
ALTER TABLE outbox ADD COLUMN buttons TEXT;

-- The deep link's token is a link row with the purpose `telegram`, about
-- the person alone (no question, no seat). SQLite cannot change a CHECK
-- in place; nothing refers to links, so the table is rebuilt.
CREATE TABLE links_new (
    id INTEGER PRIMARY KEY,
    question_id INTEGER REFERENCES questions (id),
    seat_id INTEGER REFERENCES seats (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('accept', 'decline', 'swap', 'cancel', 'telegram')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((purpose = 'cancel') = (seat_id IS NOT NULL AND question_id IS NULL)),
    CHECK (purpose IN ('cancel', 'telegram') OR question_id IS NOT NULL),
    CHECK (purpose <> 'telegram' OR (question_id IS NULL AND seat_id IS NULL))
);
INSERT INTO links_new (id, question_id, seat_id, person_id, purpose, expires_at, used_at, created_at)
    SELECT id, question_id, seat_id, person_id, purpose, expires_at, used_at, created_at FROM links;
DROP TABLE links;
ALTER TABLE links_new RENAME TO links;
CREATE INDEX links_question ON links (question_id);
CREATE INDEX links_seat ON links (seat_id);
