-- Swapping polling station: the stations offered to a person who asked
-- to swap, numbered as the message lists them, and a link purpose for
-- the swap page.

-- Option `n` of a swap question: a vacant seat of the same task type on
-- the same date at another station, as it was when the list was sent.
CREATE TABLE swap_options (
    question_id BIGINT NOT NULL REFERENCES questions (id),
    n BIGINT NOT NULL,
    seat_id BIGINT NOT NULL REFERENCES seats (id),
    PRIMARY KEY (question_id, n)
);

ALTER TABLE links DROP CONSTRAINT links_purpose_check;
ALTER TABLE links ADD CONSTRAINT links_purpose_check CHECK (purpose IN ('accept', 'decline', 'swap'));
