//! A local stand-in for GatewayAPI that speaks its REST send API over real
//! HTTP: `POST /rest/mtsms` with `Authorization: Token …`, answering
//! `{"ids": [...]}`. It keeps every request that reached it (a repeated
//! `userref` is kept too, so a test sees a message sent twice), and can be
//! told to fail.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

/// One message as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub msisdn: u64,
    pub message: String,
    pub userref: Option<String>,
    pub sender: String,
    pub encoding: Option<String>,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    fail_next: usize,
    /// The next sends are taken, then answered only after this long (a
    /// gateway that is slow to answer).
    slow_next: usize,
    slow_by: std::time::Duration,
    /// Sends answered at once before the slow ones begin.
    slow_skip: usize,
    /// How long every answer takes (a real gateway's latency).
    latency: std::time::Duration,
    next_id: u64,
}

#[derive(Clone)]
pub struct FakeGatewayApi {
    pub addr: SocketAddr,
    pub token: String,
    inner: Arc<Mutex<Inner>>,
    notify: Arc<tokio::sync::Notify>,
}

#[derive(Deserialize)]
struct SendBody {
    sender: String,
    message: String,
    recipients: Vec<RecipientBody>,
    userref: Option<String>,
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct RecipientBody {
    msisdn: u64,
}

/// Records a send (or refuses it when told to fail): the ids given, and
/// how long to wait before answering.
#[allow(clippy::type_complexity)]
fn take(
    fake: &FakeGatewayApi,
    body: &SendBody,
) -> Result<(Vec<u64>, Option<std::time::Duration>), (StatusCode, Json<Value>)> {
    let mut inner = fake.inner.lock().unwrap_or_else(|e| e.into_inner());
    if inner.fail_next > 0 {
        inner.fail_next -= 1;
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(
                json!({ "code": "0x0000", "message": "internal error", "incident_uuid": "00000000-0000-0000-0000-000000000000" }),
            ),
        ));
    }
    let mut ids = Vec::new();
    for r in &body.recipients {
        inner.next_id += 1;
        ids.push(inner.next_id);
        inner.received.push(Received {
            msisdn: r.msisdn,
            message: body.message.clone(),
            userref: body.userref.clone(),
            sender: body.sender.clone(),
            encoding: body.encoding.clone(),
        });
    }
    let slow = if inner.slow_skip > 0 {
        inner.slow_skip -= 1;
        None
    } else {
        (inner.slow_next > 0).then(|| {
            inner.slow_next -= 1;
            inner.slow_by
        })
    };
    let slow = match slow {
        None if !inner.latency.is_zero() => Some(inner.latency),
        other => other,
    };
    Ok((ids, slow))
}

async fn mtsms(
    State(fake): State<FakeGatewayApi>,
    headers: HeaderMap,
    Json(body): Json<SendBody>,
) -> (StatusCode, Json<Value>) {
    let authorised = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Token {}", fake.token));
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "code": "0x0213", "message": "Unauthorized", "incident_uuid": null })),
        );
    }
    let (ids, slow) = match take(&fake, &body) {
        Ok(taken) => taken,
        Err(refused) => return refused,
    };
    fake.notify.notify_waiters();
    if let Some(by) = slow {
        tokio::time::sleep(by).await;
    }
    (
        StatusCode::OK,
        Json(
            json!({ "ids": ids, "usage": { "countries": { "DK": ids.len() }, "currency": "DKK", "total_cost": 0.0 } }),
        ),
    )
}

impl FakeGatewayApi {
    /// Starts the fake on a random loopback port.
    pub async fn start(token: &str) -> anyhow::Result<FakeGatewayApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let fake = FakeGatewayApi {
            addr: listener.local_addr()?,
            token: token.to_string(),
            inner: Arc::new(Mutex::new(Inner {
                next_id: 100_000,
                ..Default::default()
            })),
            notify: Arc::new(tokio::sync::Notify::new()),
        };
        let app = Router::new()
            .route("/rest/mtsms", post(mtsms))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(fake)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .received
            .clone()
    }

    pub fn count(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .received
            .len()
    }

    /// Messages received for one E.164 number.
    pub fn to(&self, e164: &str) -> Vec<String> {
        let msisdn: u64 = e164.trim_start_matches('+').parse().unwrap_or_default();
        self.received()
            .into_iter()
            .filter(|r| r.msisdn == msisdn)
            .map(|r| r.message)
            .collect()
    }

    /// Takes the next `n` sends but answers each only after `by`.
    pub fn slow_next(&self, n: usize, by: std::time::Duration) {
        self.slow_after(0, n, by);
    }

    /// Answers the next `skip` sends at once, then takes `n` more but
    /// answers each only after `by`.
    pub fn slow_after(&self, skip: usize, n: usize, by: std::time::Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.slow_skip = skip;
        inner.slow_next = n;
        inner.slow_by = by;
    }

    /// Every answer from now on takes `by`.
    pub fn set_latency(&self, by: std::time::Duration) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).latency = by;
    }

    /// The next `n` send requests fail with a 500.
    pub fn fail_next(&self, n: usize) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fail_next = n;
    }

    /// Waits until at least `n` messages have arrived, or `within` passes.
    /// Returns whether they arrived.
    pub async fn wait_for(&self, n: usize, within: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.notify.notified();
            if self.count() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.count() >= n;
            }
        }
    }
}
