-- Message templates edited in the admin. Each row replaces the file
-- templates/messages/<language>/<name>.<channel>.tera until it is reset.

CREATE TABLE message_templates (
    name TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'telegram')),
    language TEXT NOT NULL CHECK (language IN ('da', 'en')),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    PRIMARY KEY (name, channel, language)
);

-- Bumped with every change, so that every host sees when to load the
-- templates again.
CREATE TABLE message_templates_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO message_templates_version (id, version) VALUES (1, 0);
