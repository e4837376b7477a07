-- Delivery reports and channel fallback.

-- What the SMS gateway reported after it took the message: 'delivered' or
-- 'undelivered' (NULL while no final report has come), the gateway's own
-- status word and error code, and when.
ALTER TABLE outbox ADD COLUMN delivery TEXT CHECK (delivery IN ('delivered', 'undelivered'));
ALTER TABLE outbox ADD COLUMN delivery_detail TEXT;
ALTER TABLE outbox ADD COLUMN reported_at TEXT;
-- For an SMS whose workflow lists further channels: those channels and
-- what rendering the message there takes (JSON), so that an undelivered
-- SMS can go out another way.
ALTER TABLE outbox ADD COLUMN fallback TEXT;
-- The message this one repeats on another channel.
ALTER TABLE outbox ADD COLUMN fallback_of INTEGER REFERENCES outbox (id);
CREATE UNIQUE INDEX outbox_one_fallback ON outbox (fallback_of) WHERE fallback_of IS NOT NULL;
CREATE INDEX outbox_provider_message ON outbox (provider, provider_message_id);
