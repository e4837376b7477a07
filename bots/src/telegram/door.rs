//! Where updates come in: long polling (`getUpdates`) or Telegram's calls
//! to a webhook. Both hand each update to the [`ChatDoor`] and answer a
//! button press with what it returns.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use teloxide::types::Update;

use super::client::{BotCell, Button, TelegramBot, describe};
use super::event::{ChatEvent, EventKind};

/// The header Telegram puts the webhook's secret token in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Seconds a `getUpdates` call waits for an update: under teloxide's own
/// 17 s request timeout, so a quiet poll ends as an empty answer and not as
/// a timed-out request.
const POLL_TIMEOUT: u32 = 10;

/// Tries of one update before the poller gives up on it and goes on: an
/// update the engine can never take must not hold up the ones after it,
/// but a database away for a few minutes (a failover) must not lose it.
/// With the pause doubling to 30 s, twenty tries take about 7 minutes.
const MAX_TRIES: u32 = 20;

/// What a button press shows: a notice on the person's screen, and the
/// message the button was under, rewritten (its buttons go with it
/// unless new ones are given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonAnswer {
    pub notice: String,
    pub edit: Option<(String, Vec<Vec<Button>>)>,
}

/// The engine's side of the door.
#[async_trait::async_trait]
pub trait ChatDoor: Send + Sync + 'static {
    /// Takes one event. It must be stored, or acted on, before this
    /// returns: an error leaves the update to come again. For a button
    /// press it returns what to show.
    async fn receive(&self, event: ChatEvent) -> anyhow::Result<Option<ButtonAnswer>>;
}

/// Hands one update to the door and shows a button press's answer.
async fn take(bot: &TelegramBot, door: &dyn ChatDoor, update: &Update) -> anyhow::Result<()> {
    let Some(event) = ChatEvent::from_update(update) else {
        tracing::debug!(update_id = update.id.0, "telegram update ignored");
        return Ok(());
    };
    let chat_id = event.chat_id;
    let button = match &event.kind {
        EventKind::Button {
            callback_id,
            message_id,
            ..
        } => Some((callback_id.clone(), *message_id)),
        EventKind::Text(_) => None,
    };
    let answer = door.receive(event).await?;
    if let (Some((callback_id, message_id)), Some(answer)) = (button, answer) {
        // The event is handled; what the screen shows is best effort.
        if let Err(e) = bot.answer_button(&callback_id, &answer.notice).await {
            tracing::warn!(update_id = update.id.0, error = %describe(&e), "button press not answered");
        }
        if let (Some(message_id), Some((text, buttons))) = (message_id, answer.edit)
            && let Err(e) = bot.edit(chat_id, message_id, &text, &buttons).await
        {
            tracing::warn!(update_id = update.id.0, error = %describe(&e), "message not edited");
        }
    }
    Ok(())
}

/// Long polling until `stop` turns true. An update is confirmed to
/// Telegram (by asking for the ones after it) only once the door took it;
/// when the door fails, the same updates are fetched again after a pause.
pub async fn poll(
    bot: TelegramBot,
    door: Arc<dyn ChatDoor>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut offset = 0i32;
    let mut pause = Duration::from_millis(500);
    // The update that failed last, and how often.
    let mut failing = (0u32, 0u32);
    loop {
        let fetched = tokio::select! {
            r = bot.updates(offset, POLL_TIMEOUT) => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        let failed = match fetched {
            Ok(updates) => {
                let mut failed = false;
                for update in &updates {
                    if let Err(e) = take(&bot, door.as_ref(), update).await {
                        let id = update.id.0;
                        failing = (id, if failing.0 == id { failing.1 + 1 } else { 1 });
                        if failing.1 < MAX_TRIES {
                            tracing::warn!(update_id = id, error = %e, "telegram update not taken; fetching it again");
                            failed = true;
                            break;
                        }
                        tracing::error!(update_id = id, error = %e, tries = failing.1, "telegram update given up");
                    }
                    offset = update.id.0 as i32 + 1;
                }
                failed
            }
            Err(e) => {
                tracing::warn!(error = %describe(&e), "telegram getUpdates failed");
                true
            }
        };
        if failed {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            pause = (pause * 2).min(Duration::from_secs(30));
        } else {
            pause = Duration::from_millis(500);
        }
    }
}

#[derive(Clone)]
struct Webhook {
    bot: BotCell,
    door: Arc<dyn ChatDoor>,
    secret: Arc<str>,
}

/// `POST /webhooks/telegram`: Telegram's calls in webhook mode. A call
/// without the secret token given to `setWebhook` is refused with 401
/// and read no further; until the bot is connected, calls get 503.
pub fn webhook_router(bot: BotCell, door: Arc<dyn ChatDoor>, secret: &str) -> axum::Router {
    axum::Router::new()
        .route("/webhooks/telegram", post(webhook))
        .with_state(Webhook {
            bot,
            door,
            secret: secret.into(),
        })
}

async fn webhook(State(hook): State<Webhook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if hook.secret.is_empty() || !same(given, hook.secret.as_bytes()) {
        tracing::warn!("telegram webhook call without the right secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    let Some(bot) = hook.bot.get() else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // The error's text can quote the body: its kind and place only.
            tracing::warn!(kind = ?e.classify(), line = e.line(), column = e.column(), "telegram webhook call is not an update");
            return StatusCode::BAD_REQUEST;
        }
    };
    match take(bot, hook.door.as_ref(), &update).await {
        Ok(()) => StatusCode::OK,
        // Telegram calls again.
        Err(e) => {
            tracing::warn!(update_id = update.id.0, error = %e, "telegram update not taken");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// Compares in time that does not depend on where the bytes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
