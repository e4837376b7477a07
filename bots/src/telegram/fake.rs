//! A fake Telegram Bot API over real HTTP on loopback, for tests: the
//! methods the bot calls (`getMe`, `getUpdates` with long polling,
//! `sendMessage` with inline keyboards, `editMessageText`,
//! `answerCallbackQuery`, `setWebhook`, `deleteWebhook`), answered in the
//! Bot API's JSON, and a person's side of the chat (writing, pressing a
//! button).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::client::Button;

/// The fake bot's username.
pub const USERNAME: &str = "testrup_valg_bot";
const BOT_ID: i64 = 700_000_001;
const DATE: i64 = 1_900_000_000;

/// A message the bot sent (or one it edited, as it reads after the edit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub chat_id: i64,
    pub message_id: i32,
    pub text: String,
    pub buttons: Vec<Vec<Button>>,
}

impl Sent {
    /// The labels of the buttons, row by row.
    pub fn labels(&self) -> Vec<Vec<String>> {
        self.buttons
            .iter()
            .map(|r| r.iter().map(|b| b.text.clone()).collect())
            .collect()
    }

    /// The data of the button labelled `label`.
    pub fn button(&self, label: &str) -> Option<String> {
        self.buttons
            .iter()
            .flatten()
            .find(|b| b.text == label)
            .map(|b| b.data.clone())
    }
}

#[derive(Default)]
struct Chats {
    next_update: u32,
    next_message: i32,
    /// Updates not yet confirmed by a `getUpdates` offset after them.
    queued: Vec<(u32, Value)>,
    /// Every update made, for webhook tests.
    made: Vec<(u32, Value)>,
    /// The highest offset a `getUpdates` call gave.
    offset: u32,
    sent: Vec<Sent>,
    /// When each message arrived, by chat.
    arrivals: Vec<(i64, std::time::Instant)>,
    edits: Vec<Sent>,
    notices: Vec<String>,
    webhook: Option<(String, String)>,
    blocked: HashSet<i64>,
    /// Answer every call as a gateway in front of a Telegram that is away.
    down: bool,
}

#[derive(Clone)]
struct Shared {
    token: Arc<str>,
    chats: Arc<Mutex<Chats>>,
    changed: Arc<Notify>,
}

pub struct FakeTelegram {
    pub token: String,
    addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    pub async fn start(token: &str) -> std::io::Result<FakeTelegram> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Shared {
            token: token.into(),
            chats: Arc::new(Mutex::new(Chats {
                next_update: 100,
                next_message: 1,
                ..Chats::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let app = axum::Router::new()
            .route("/{bot}/{method}", post(call))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeTelegram {
            token: token.to_string(),
            addr,
            shared,
            server,
        })
    }

    /// Where the bot is pointed instead of `https://api.telegram.org`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn chats(&self) -> std::sync::MutexGuard<'_, Chats> {
        self.shared.chats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queue(&self, make: impl FnOnce(u32, &mut Chats) -> Value) -> u32 {
        let id = {
            let mut chats = self.chats();
            let id = chats.next_update;
            chats.next_update += 1;
            let update = make(id, &mut chats);
            chats.queued.push((id, update.clone()));
            chats.made.push((id, update));
            id
        };
        self.shared.changed.notify_waiters();
        id
    }

    /// The person in `chat_id` writes `text`; returns the update's id.
    pub fn text_from(&self, chat_id: i64, text: &str) -> u32 {
        self.queue(|id, chats| {
            let message_id = chats.next_message;
            chats.next_message += 1;
            let mut message = json!({
                "message_id": message_id,
                "date": DATE,
                "chat": person_chat(chat_id),
                "from": person(chat_id),
                "text": text,
            });
            if text.starts_with('/') {
                let len = text
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .encode_utf16()
                    .count();
                message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": len}]);
            }
            json!({"update_id": id, "message": message})
        })
    }

    /// The person presses the button with `data` under message
    /// `message_id` (whether or not the message has such a button: a
    /// client can send any data).
    pub fn press(&self, chat_id: i64, message_id: i32, data: &str) -> u32 {
        self.queue(|id, chats| {
            let text = chats
                .sent
                .iter()
                .find(|s| s.message_id == message_id)
                .map(|s| s.text.clone())
                .unwrap_or_default();
            json!({
                "update_id": id,
                "callback_query": {
                    "id": format!("cb{id}"),
                    "from": person(chat_id),
                    "chat_instance": format!("ci{chat_id}"),
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": DATE,
                        "chat": person_chat(chat_id),
                        "from": bot_user(),
                        "text": text,
                    }
                }
            })
        })
    }

    /// An update as Telegram would post it to a webhook.
    pub fn update(&self, id: u32) -> Value {
        self.chats()
            .made
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, u)| u.clone())
            .expect("an update this fake made")
    }

    /// Waits until the bot has asked for the updates after `update_id`,
    /// which it does once it has taken that one.
    pub async fn wait_taken(&self, update_id: u32) {
        self.wait_for(
            |c| c.offset > update_id,
            &format!("update {update_id} taken"),
        )
        .await;
    }

    async fn wait_for(&self, done: impl Fn(&Chats) -> bool, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let changed = self.shared.changed.notified();
            if done(&self.chats()) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("fake Telegram: not {what} within 20 s");
            }
        }
    }

    /// Messages the bot sent to `chat_id`, oldest first, as they read now.
    pub fn sent_to(&self, chat_id: i64) -> Vec<Sent> {
        self.chats()
            .sent
            .iter()
            .filter(|s| s.chat_id == chat_id)
            .cloned()
            .collect()
    }

    /// When each message arrived and in which chat, oldest first.
    pub fn arrivals(&self) -> Vec<(i64, std::time::Instant)> {
        self.chats().arrivals.clone()
    }

    /// Every edit the bot made, oldest first.
    pub fn edits(&self) -> Vec<Sent> {
        self.chats().edits.clone()
    }

    /// The notices shown for button presses, oldest first.
    pub fn notices(&self) -> Vec<String> {
        self.chats().notices.clone()
    }

    /// The webhook address and secret token set, if one is.
    pub fn webhook(&self) -> Option<(String, String)> {
        self.chats().webhook.clone()
    }

    /// Telegram goes away (every call gets a gateway's 502 page) or comes
    /// back.
    pub fn set_down(&self, down: bool) {
        self.chats().down = down;
        self.shared.changed.notify_waiters();
    }

    /// The person in `chat_id` blocks the bot: sending there is refused.
    pub fn block(&self, chat_id: i64) {
        self.chats().blocked.insert(chat_id);
    }
}

fn person(chat_id: i64) -> Value {
    json!({"id": chat_id, "is_bot": false, "first_name": "Test"})
}

fn person_chat(chat_id: i64) -> Value {
    json!({"id": chat_id, "type": "private", "first_name": "Test"})
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Valg", "username": USERNAME})
}

fn message_json(s: &Sent) -> Value {
    let mut m = json!({
        "message_id": s.message_id,
        "date": DATE,
        "chat": person_chat(s.chat_id),
        "from": bot_user(),
        "text": s.text,
    });
    if !s.buttons.is_empty() {
        let rows: Vec<Vec<Value>> = s
            .buttons
            .iter()
            .map(|r| {
                r.iter()
                    .map(|b| json!({"text": b.text, "callback_data": b.data}))
                    .collect()
            })
            .collect();
        m["reply_markup"] = json!({"inline_keyboard": rows});
    }
    m
}

fn ok(result: Value) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({"ok": true, "result": result})))
}

fn error(code: u16, description: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({"ok": false, "error_code": code, "description": description})),
    )
}

fn buttons_of(v: &Value) -> Vec<Vec<Button>> {
    v["reply_markup"]["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .into_iter()
                        .flatten()
                        .map(|b| Button {
                            text: b["text"].as_str().unwrap_or_default().to_string(),
                            data: b["callback_data"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn chat_id_of(v: &Value) -> Option<i64> {
    match &v["chat_id"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A call's parameters: a JSON body, or the text fields of a multipart
/// form (teloxide sends `setWebhook` as one, for its certificate file).
fn parameters(headers: &HeaderMap, body: &[u8]) -> Value {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    else {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    };
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text.split(&format!("--{}", boundary.trim_matches('"'))) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| {
                n.split(['\r', '\n'])
                    .next()
                    .unwrap_or_default()
                    .trim_matches('"')
            })
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = match value.starts_with(['[', '{']) {
            true => serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into())),
            false => Value::String(value.into()),
        };
        fields.insert(name.to_string(), parsed);
    }
    Value::Object(fields)
}

async fn call(
    State(shared): State<Shared>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, Json<Value>) {
    if shared.chats.lock().unwrap_or_else(|e| e.into_inner()).down {
        return (
            StatusCode::BAD_GATEWAY,
            Json(Value::String(
                "<html><body>502 Bad Gateway</body></html>".into(),
            )),
        );
    }
    if bot.strip_prefix("bot") != Some(&*shared.token) {
        return error(401, "Unauthorized");
    }
    let body = parameters(&headers, &body);
    let answer = match method.to_lowercase().as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Valg", "username": USERNAME,
            "can_join_groups": false, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false
        })),
        "getupdates" => return get_updates(&shared, &body).await,
        "sendmessage" => {
            let Some(chat_id) = chat_id_of(&body) else {
                return error(400, "Bad Request: chat not found");
            };
            let mut chats = shared.chats.lock().unwrap_or_else(|e| e.into_inner());
            if chats.blocked.contains(&chat_id) {
                return error(403, "Forbidden: bot was blocked by the user");
            }
            let text = body["text"].as_str().unwrap_or_default().to_string();
            if text.is_empty() {
                return error(400, "Bad Request: message text is empty");
            }
            let sent = Sent {
                chat_id,
                message_id: chats.next_message,
                text,
                buttons: buttons_of(&body),
            };
            chats.next_message += 1;
            chats.sent.push(sent.clone());
            chats.arrivals.push((chat_id, std::time::Instant::now()));
            ok(message_json(&sent))
        }
        "editmessagetext" => {
            let mut chats = shared.chats.lock().unwrap_or_else(|e| e.into_inner());
            let chat_id = chat_id_of(&body);
            let message_id = body["message_id"].as_i64().map(|m| m as i32);
            let Some(sent) = chats
                .sent
                .iter_mut()
                .find(|s| Some(s.chat_id) == chat_id && Some(s.message_id) == message_id)
            else {
                return error(400, "Bad Request: message to edit not found");
            };
            sent.text = body["text"].as_str().unwrap_or_default().to_string();
            sent.buttons = buttons_of(&body);
            let edited = sent.clone();
            chats.edits.push(edited.clone());
            ok(message_json(&edited))
        }
        "answercallbackquery" => {
            let mut chats = shared.chats.lock().unwrap_or_else(|e| e.into_inner());
            chats
                .notices
                .push(body["text"].as_str().unwrap_or_default().to_string());
            ok(json!(true))
        }
        "setwebhook" => {
            let mut chats = shared.chats.lock().unwrap_or_else(|e| e.into_inner());
            chats.webhook = Some((
                body["url"].as_str().unwrap_or_default().to_string(),
                body["secret_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
            ok(json!(true))
        }
        "deletewebhook" => {
            shared
                .chats
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .webhook = None;
            ok(json!(true))
        }
        _ => error(404, "Not Found"),
    };
    shared.changed.notify_waiters();
    answer
}

/// `getUpdates`: confirms the updates before `offset`, and returns the
/// rest, waiting up to `timeout` seconds for one.
async fn get_updates(shared: &Shared, body: &Value) -> (StatusCode, Json<Value>) {
    let offset = body["offset"].as_i64().unwrap_or(0).max(0) as u32;
    let timeout = body["timeout"].as_u64().unwrap_or(0).min(30);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    {
        let mut chats = shared.chats.lock().unwrap_or_else(|e| e.into_inner());
        if chats.webhook.is_some() {
            return error(
                409,
                "Conflict: can't use getUpdates method while webhook is active",
            );
        }
        chats.offset = chats.offset.max(offset);
        chats.queued.retain(|(id, _)| *id >= offset);
    }
    shared.changed.notify_waiters();
    loop {
        let changed = shared.changed.notified();
        let ready: Vec<Value> = shared
            .chats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .queued
            .iter()
            .map(|(_, u)| u.clone())
            .collect();
        if !ready.is_empty() {
            return ok(Value::Array(ready));
        }
        if tokio::time::timeout_at(deadline, changed).await.is_err() {
            return ok(json!([]));
        }
    }
}
