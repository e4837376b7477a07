//! Updates as valgvagt sees them. Only private chats count: a bot added to
//! a group ignores what is said there.

use teloxide::types::{Update, UpdateKind};

/// One update from a person's private chat with the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatEvent {
    /// Telegram's id of the update, for log lines. It is no key: a new
    /// bot, or a week without updates, starts the numbering afresh.
    pub update_id: u32,
    /// What names this event for good, for one bot: `<chat>:<message>`
    /// for a text, `cb:<callback query id>` for a press. The same update
    /// delivered twice has the same key.
    pub key: String,
    pub chat_id: i64,
    pub kind: EventKind,
}

#[derive(Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Something the person wrote: a command (`/start TOKEN`) or an answer
    /// in the SMS reply grammar.
    Text(String),
    /// A press on an inline button under one of the bot's messages.
    Button {
        callback_id: String,
        /// The message the button was under, when Telegram still has it.
        message_id: Option<i32>,
        /// That message's text.
        message_text: Option<String>,
        data: String,
    },
}

impl std::fmt::Debug for EventKind {
    // What people write is personal data: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventKind::Text(_) => f.write_str("Text(..)"),
            EventKind::Button { message_id, .. } => f
                .debug_struct("Button")
                .field("message_id", message_id)
                .finish_non_exhaustive(),
        }
    }
}

impl ChatEvent {
    /// The event in an update, or `None` for what the bot ignores:
    /// groups and channels, edits, messages without text.
    pub fn from_update(update: &Update) -> Option<ChatEvent> {
        let update_id = update.id.0;
        match &update.kind {
            UpdateKind::Message(m) if m.chat.is_private() => Some(ChatEvent {
                update_id,
                key: format!("{}:{}", m.chat.id.0, m.id.0),
                chat_id: m.chat.id.0,
                kind: EventKind::Text(m.text()?.to_string()),
            }),
            UpdateKind::CallbackQuery(q) => {
                let message = q.message.as_ref();
                let chat = message.map(|m| m.chat());
                // A button under a message in a group, or in an inline
                // message: not ours to answer.
                let chat = chat.filter(|c| c.is_private())?;
                Some(ChatEvent {
                    update_id,
                    key: format!("cb:{}", q.id.0),
                    chat_id: chat.id.0,
                    kind: EventKind::Button {
                        callback_id: q.id.0.clone(),
                        message_id: message.map(|m| m.id().0),
                        message_text: message
                            .and_then(|m| m.regular_message())
                            .and_then(|m| m.text())
                            .map(String::from),
                        data: q.data.clone().unwrap_or_default(),
                    },
                })
            }
            _ => None,
        }
    }
}

/// The bot's commands. `/start TOKEN` is what a deep link
/// (`t.me/<bot>?start=TOKEN`) makes the person's app send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Links the chat to the person the token was made for.
    Start(Option<String>),
    /// Unlinks the chat.
    Stop,
    /// The person's seats.
    Status,
    /// How to answer, and whom to ask.
    Help,
    /// `/sprog en`: the language of the bot's messages.
    Language(Option<String>),
    /// A command the bot does not have.
    Unknown,
}

impl Command {
    /// The command a text is, or `None` for text that is no command. A
    /// command may name the bot (`/start@valg_bot`), as Telegram writes it
    /// in groups.
    pub fn parse(text: &str) -> Option<Command> {
        let text = text.trim();
        let rest = text.strip_prefix('/')?;
        let (word, argument) = match rest.split_once(char::is_whitespace) {
            Some((w, a)) => (w, Some(a.trim().to_string()).filter(|a| !a.is_empty())),
            None => (rest, None),
        };
        let word = word.split('@').next().unwrap_or_default().to_lowercase();
        Some(match word.as_str() {
            "start" => Command::Start(argument),
            "stop" => Command::Stop,
            "status" => Command::Status,
            "hjaelp" | "hjælp" | "help" => Command::Help,
            "sprog" | "language" => Command::Language(argument),
            _ => Command::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deep_link_start_carries_its_token() {
        assert_eq!(
            Command::parse("/start 12-AbC_d"),
            Some(Command::Start(Some("12-AbC_d".into())))
        );
        assert_eq!(Command::parse("/start"), Some(Command::Start(None)));
    }

    #[test]
    fn a_command_may_name_the_bot_and_any_case() {
        assert_eq!(Command::parse("/Status@valg_bot"), Some(Command::Status));
        assert_eq!(
            Command::parse("/sprog  en "),
            Some(Command::Language(Some("en".into())))
        );
        assert_eq!(Command::parse("/hjælp"), Some(Command::Help));
        assert_eq!(Command::parse("/hjaelp"), Some(Command::Help));
    }

    #[test]
    fn text_without_a_slash_is_no_command() {
        assert_eq!(Command::parse("JA K7"), None);
        assert_eq!(Command::parse("/frobnicate"), Some(Command::Unknown));
    }

    #[test]
    fn updates_from_private_chats_become_events_and_groups_are_ignored() {
        let private: Update = serde_json::from_str(
            &serde_json::json!({
                "update_id": 7,
                "message": {
                    "message_id": 3, "date": 1_900_000_000,
                    "chat": {"id": 42, "type": "private", "first_name": "A"},
                    "from": {"id": 42, "is_bot": false, "first_name": "A"},
                    "text": "JA"
                }
            })
            .to_string(),
        )
        .expect("an update");
        assert_eq!(
            ChatEvent::from_update(&private),
            Some(ChatEvent {
                update_id: 7,
                key: "42:3".into(),
                chat_id: 42,
                kind: EventKind::Text("JA".into())
            })
        );
        let group: Update = serde_json::from_str(
            &serde_json::json!({
                "update_id": 8,
                "message": {
                    "message_id": 4, "date": 1_900_000_000,
                    "chat": {"id": -100, "type": "group", "title": "Valg"},
                    "from": {"id": 42, "is_bot": false, "first_name": "A"},
                    "text": "JA"
                }
            })
            .to_string(),
        )
        .expect("an update");
        assert_eq!(ChatEvent::from_update(&group), None);
    }
}
