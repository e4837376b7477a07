-- Telegram. A person may link a chat with the bot (`/start <token>` from
-- the deep link in an invitation); several people may share one chat, as
-- they may share a phone. A chat message can carry inline buttons.
ALTER TABLE people ADD COLUMN telegram_chat_id BIGINT;
-- Linking makes the chat the preferred channel; unlinking gives back the
-- preference the person had.
ALTER TABLE people ADD COLUMN preferred_before_telegram TEXT
    CHECK (preferred_before_telegram IN ('sms', 'email'));
CREATE INDEX people_telegram_chat ON people (telegram_chat_id) WHERE telegram_chat_id IS NOT NULL;
ALTER TABLE outbox ADD COLUMN buttons TEXT;

-- The deep link's token is a link row with the purpose `telegram`, about
-- the person alone (no question, no seat).
ALTER TABLE links DROP CONSTRAINT links_purpose_check;
ALTER TABLE links ADD CONSTRAINT links_purpose_check
    CHECK (purpose IN ('accept', 'decline', 'swap', 'cancel', 'telegram'));
ALTER TABLE links DROP CONSTRAINT links_question_check;
ALTER TABLE links ADD CONSTRAINT links_question_check
    CHECK (purpose IN ('cancel', 'telegram') OR question_id IS NOT NULL);
ALTER TABLE links ADD CONSTRAINT links_telegram_check
    CHECK (purpose <> 'telegram' OR (question_id IS NULL AND seat_id IS NULL));
