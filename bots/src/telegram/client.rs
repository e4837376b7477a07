//! The bot's calls to the Bot API. Sending goes through teloxide's
//! `Throttle`: at most 30 messages a second overall and one a second per
//! chat, queued rather than dropped, and a flood-control answer
//! (`retry_after`) waited out and tried again.

use serde::{Deserialize, Serialize};
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageTextSetters, GetUpdatesSetters, SendMessageSetters,
    SetWebhookSetters,
};
use teloxide::requests::{Request, Requester};
use teloxide::types::{
    AllowedUpdate, CallbackQueryId, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId,
    Update,
};
use teloxide::{ApiError, Bot, RequestError};

/// An inline button: its label and what pressing it sends back (at most
/// 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub data: String,
}

/// A message to a chat, with rows of buttons under it.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingChat<'a> {
    pub chat_id: i64,
    pub text: &'a str,
    pub buttons: &'a [Vec<Button>],
}

/// How a refusal begins when the chat cannot be reached any more (the
/// person blocked the bot, or left Telegram): the message has to go
/// another way, and so do the ones after it.
pub const CHAT_GONE: &str = "the chat is gone: ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Telegram will not take it, now or later (the person blocked the bot,
    /// the chat is gone).
    #[error("refused: {0}")]
    Permanent(String),
    /// Worth trying again (network, Telegram busy).
    #[error("failed: {0}")]
    Temporary(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the Telegram API address `{0}` is not a URL")]
    Url(String),
    #[error("Telegram refused the bot token (getMe): {0}")]
    Refused(String),
    /// Telegram did not answer (network): worth trying again.
    #[error("Telegram cannot be reached: {0}")]
    Unreachable(String),
    #[error("the bot has no username, so no deep link can name it")]
    NoUsername,
}

/// Where the bot is, once it is connected: the service starts without
/// it when Telegram cannot be reached, and fills it in when it can.
pub type BotCell = std::sync::Arc<std::sync::OnceLock<TelegramBot>>;

/// A connected bot: its throttled client and its username, which deep
/// links name.
#[derive(Clone)]
pub struct TelegramBot {
    bot: Throttle<Bot>,
    id: u64,
    username: String,
}

impl std::fmt::Debug for TelegramBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramBot")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl TelegramBot {
    /// Checks the token with `getMe` and starts the throttle. `api_url`
    /// replaces `https://api.telegram.org` (a local Bot API server, or a
    /// fake in tests); a trailing slash is taken off, since teloxide would
    /// put every method under an empty path segment.
    pub async fn connect(token: &str, api_url: Option<&str>) -> Result<TelegramBot, ConnectError> {
        let mut bot = Bot::new(token);
        if let Some(url) = api_url {
            let trimmed = url.trim().trim_end_matches('/');
            let parsed = trimmed
                .parse()
                .map_err(|_| ConnectError::Url(url.to_string()))?;
            bot = bot.set_api_url(parsed);
        }
        let me = bot.get_me().await.map_err(|e| match e {
            RequestError::Api(ApiError::InvalidToken) => ConnectError::Refused(describe(&e)),
            // A gateway's error page, a 5xx, flood control: Telegram is
            // there but not answering as it should, for now.
            _ => ConnectError::Unreachable(describe(&e)),
        })?;
        let username = me.user.username.clone().ok_or(ConnectError::NoUsername)?;
        Ok(TelegramBot {
            bot: Throttle::new_spawn(bot, Limits::default()),
            id: me.user.id.0,
            username,
        })
    }

    /// The bot's user id: events are keyed per bot.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// The deep link that opens the chat and sends `/start <token>`.
    pub fn deep_link(&self, token: &str) -> String {
        format!("https://t.me/{}?start={token}", self.username)
    }

    /// Sends a message; returns Telegram's message id.
    pub async fn send(&self, msg: &OutgoingChat<'_>) -> Result<String, SendError> {
        let mut request = self.bot.send_message(ChatId(msg.chat_id), msg.text);
        if !msg.buttons.is_empty() {
            request = request.reply_markup(keyboard(msg.buttons));
        }
        match request.send().await {
            Ok(sent) => Ok(sent.id.0.to_string()),
            Err(e) => Err(classify(e)),
        }
    }

    /// Answers a button press: `notice` shows briefly on the person's
    /// screen and the button stops spinning.
    pub async fn answer_button(&self, callback_id: &str, notice: &str) -> Result<(), RequestError> {
        self.bot
            .answer_callback_query(CallbackQueryId(callback_id.to_string()))
            .text(notice)
            .send()
            .await
            .map(|_| ())
    }

    /// Replaces a message's text, and with it the buttons under it.
    pub async fn edit(
        &self,
        chat_id: i64,
        message_id: i32,
        text: &str,
        buttons: &[Vec<Button>],
    ) -> Result<(), RequestError> {
        let mut request = self
            .bot
            .edit_message_text(ChatId(chat_id), MessageId(message_id), text);
        if !buttons.is_empty() {
            request = request.reply_markup(keyboard(buttons));
        }
        match request.send().await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Updates after `offset`, waiting up to `timeout` seconds for one.
    pub(crate) async fn updates(
        &self,
        offset: i32,
        timeout: u32,
    ) -> Result<Vec<Update>, RequestError> {
        self.bot
            .get_updates()
            .offset(offset)
            .timeout(timeout)
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
            .send()
            .await
    }

    /// Has Telegram call `url` with each update, with `secret` in the
    /// secret-token header.
    pub async fn use_webhook(&self, url: &str, secret: &str) -> Result<(), RequestError> {
        let url = url
            .parse()
            .map_err(|_| RequestError::Api(ApiError::Unknown(format!("`{url}` is not a URL"))))?;
        self.bot
            .set_webhook(url)
            .secret_token(secret)
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
            .send()
            .await
            .map(|_| ())
    }

    /// Ends webhook mode, which long polling needs (Telegram answers
    /// `getUpdates` with 409 while a webhook is set).
    pub async fn use_polling(&self) -> Result<(), RequestError> {
        self.bot.delete_webhook().send().await.map(|_| ())
    }
}

fn keyboard(rows: &[Vec<Button>]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.iter().map(|row| {
        row.iter()
            .map(|b| InlineKeyboardButton::callback(b.text.clone(), b.data.clone()))
            .collect::<Vec<_>>()
    }))
}

/// Whether a failed call is Telegram being away or busy (a network error,
/// a gateway's error page, a 5xx, flood control) rather than refusing what
/// was asked.
pub fn is_transient(e: &RequestError) -> bool {
    match e {
        RequestError::Api(api) => matches!(api, ApiError::Unknown(_)),
        RequestError::MigrateToChatId(_) => false,
        _ => true,
    }
}

/// Whether a failed call is worth repeating. Telegram's answer may quote
/// the chat: it is kept on the outbox row, not logged.
fn classify(e: RequestError) -> SendError {
    match &e {
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots,
        )
        | RequestError::MigrateToChatId(_) => {
            SendError::Permanent(format!("{CHAT_GONE}{}", describe(&e)))
        }
        RequestError::Api(ApiError::MessageTextIsEmpty | ApiError::MessageIsTooLong) => {
            SendError::Permanent(describe(&e))
        }
        _ => SendError::Temporary(describe(&e)),
    }
}

/// A failed call in words fit for a log line and the outbox: a network
/// error's address holds the bot token, so it is left out, and so is the
/// raw body of an answer that did not parse.
pub fn describe(e: &RequestError) -> String {
    match e {
        RequestError::Network(inner) => {
            let what = if inner.is_timeout() {
                "timed out".to_string()
            } else if inner.is_connect() {
                "could not connect".to_string()
            } else if let Some(status) = inner.status() {
                format!("HTTP {status}")
            } else {
                "request failed".to_string()
            };
            format!("network error calling the Bot API: {what}")
        }
        RequestError::InvalidJson { .. } => "the Bot API's answer is not what it documents".into(),
        RequestError::Io(_) => "an I/O error calling the Bot API".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_network_error_does_not_show_the_bot_token() {
        // Nothing listens on the discard port.
        let e = TelegramBot::connect("123:SECRET-TOKEN", Some("http://127.0.0.1:9/"))
            .await
            .expect_err("no Bot API there");
        assert!(matches!(e, ConnectError::Unreachable(_)), "{e}");
        let shown = e.to_string();
        assert!(shown.contains("could not connect"), "{shown}");
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
    }

    #[tokio::test]
    async fn a_token_the_bot_api_refuses_is_a_clear_error() {
        let fake = super::super::fake::FakeTelegram::start("123:right")
            .await
            .unwrap();
        let e = TelegramBot::connect("123:wrong", Some(&fake.api_url()))
            .await
            .expect_err("refused");
        assert!(
            e.to_string().starts_with("Telegram refused the bot token"),
            "{e}"
        );
        let bot = TelegramBot::connect("123:right", Some(&format!("{}/", fake.api_url())))
            .await
            .expect("a trailing slash is taken off");
        assert_eq!(
            bot.deep_link("7-abc"),
            "https://t.me/testrup_valg_bot?start=7-abc"
        );
    }
}
