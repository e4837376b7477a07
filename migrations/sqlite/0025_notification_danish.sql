-- A follow-up note in Danish beside the English `message`, so that each
-- user reads it in their own language. Notes written before keep
-- `message` only.
ALTER TABLE notifications ADD COLUMN message_da TEXT;
