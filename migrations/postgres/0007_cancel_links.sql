-- A confirmed person can cancel their seat from the link in their
-- confirmation. Such a link is about a seat, not a question: links gain
-- `seat_id`, `question_id` may be empty, and the purpose `cancel`.
ALTER TABLE links ALTER COLUMN question_id DROP NOT NULL;
ALTER TABLE links ADD COLUMN seat_id BIGINT REFERENCES seats (id);
ALTER TABLE links DROP CONSTRAINT links_purpose_check;
ALTER TABLE links ADD CONSTRAINT links_purpose_check CHECK (purpose IN ('accept', 'decline', 'swap', 'cancel'));
ALTER TABLE links ADD CONSTRAINT links_subject_check
    CHECK ((purpose = 'cancel') = (seat_id IS NOT NULL AND question_id IS NULL));
ALTER TABLE links ADD CONSTRAINT links_question_check
    CHECK (purpose = 'cancel' OR question_id IS NOT NULL);
CREATE INDEX links_seat ON links (seat_id);
