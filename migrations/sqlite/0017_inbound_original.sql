-- A received message is stored whatever it holds: PostgreSQL refuses NUL
-- in text, so a NUL is stored as U+FFFD and the original, escaped (`\0`),
-- is kept here. Empty when nothing needed changing.
ALTER TABLE inbound ADD COLUMN body_original TEXT;
