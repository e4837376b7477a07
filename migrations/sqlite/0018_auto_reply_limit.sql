-- Automatic answers (an unknown number, a text not understood) are
-- limited per recipient and hour, so two auto-responders cannot keep
-- each other texting: the messages to one address, newest first.
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
