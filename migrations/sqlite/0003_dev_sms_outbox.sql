-- The dev SMS provider looks up the message it already holds for an outbox
-- row before storing another; without this index each send scanned every
-- message sent so far.
CREATE INDEX dev_sms_outbox ON dev_sms (outbox_id);
