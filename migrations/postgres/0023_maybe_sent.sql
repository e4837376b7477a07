-- A gateway call that timed out (or answered unreadably after taking the
-- message) may have reached the phone: the row is marked, its retry waits
-- longer, and the messages page counts the messages that may have gone
-- twice.
ALTER TABLE outbox ADD COLUMN maybe_sent BOOLEAN NOT NULL DEFAULT FALSE;
-- The messages page counts them at every load.
CREATE INDEX outbox_maybe_sent ON outbox (status) WHERE maybe_sent;
