//! Telegram through the Bot API (teloxide).
//!
//! - [`event`]: an update as valgvagt sees it (a text, a command, a
//!   button press), and the commands the bot understands.
//! - [`client`]: the bot's calls: sending with inline buttons, answering
//!   a button press, editing a message; throttled to Telegram's limits.
//! - [`door`]: long polling and the webhook, which hand each update to a
//!   [`ChatDoor`].
//! - [`fake`]: a fake Bot API over real HTTP, for tests.

pub mod client;
pub mod door;
pub mod event;
pub mod fake;

pub use client::{
    BotCell, Button, CHAT_GONE, ConnectError, OutgoingChat, SendError, TelegramBot, describe,
    is_transient,
};
pub use door::{ButtonAnswer, ChatDoor, SECRET_HEADER, poll, webhook_router};
pub use event::{ChatEvent, Command, EventKind};
