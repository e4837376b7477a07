-- Guessing a password must not lock the secretariat out on election day:
-- a browser that has logged in as a user before carries a device cookie,
-- and its attempts are counted apart from everyone else's (OWASP's device
-- cookies). The attempt records which trusted device it came from.
ALTER TABLE login_attempts ADD COLUMN device TEXT;
CREATE TABLE trusted_devices (
    token_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX login_attempts_device ON login_attempts (device, at);
