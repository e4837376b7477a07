//! A local stand-in for Twilio over real HTTP. It speaks the Messages API
//! (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic
//! auth with the account SID and auth token, form-encoded, answering `201`
//! with the message resource or Twilio's error JSON), and it calls back the
//! way Twilio does: an incoming SMS posted to a webhook, and status
//! callbacks to a message's `StatusCallback`, both form-encoded and signed
//! with `X-Twilio-Signature`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};

use super::twilio;

/// One message as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub sid: String,
    pub to: String,
    /// `From`, or the messaging service's SID.
    pub from: String,
    pub body: String,
    pub status_callback: Option<String>,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    fail_next: usize,
    next: u64,
}

#[derive(Clone)]
pub struct FakeTwilio {
    pub addr: SocketAddr,
    pub account_sid: String,
    pub auth_token: String,
    /// The number people text.
    pub number: String,
    inner: Arc<Mutex<Inner>>,
    http: reqwest::Client,
}

fn error(status: StatusCode, code: u32, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
}

async fn create_message(
    State(fake): State<FakeTwilio>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", fake.account_sid, fake.auth_token));
    let authorised = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Basic {expected}"));
    if !authorised || account != fake.account_sid {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let Some(to) = form.get("To") else {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    let is_e164 = to.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if !is_e164 {
        return error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    let Some(from) = form.get("From").or_else(|| form.get("MessagingServiceSid")) else {
        return error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' phone number is required.",
        );
    };
    let Some(body) = form.get("Body").filter(|b| !b.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    };
    let mut inner = fake.inner.lock().unwrap_or_else(|e| e.into_inner());
    if inner.fail_next > 0 {
        inner.fail_next -= 1;
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            20500,
            "Internal Server Error",
        );
    }
    inner.next += 1;
    let sid = format!("SM{:032x}", inner.next);
    inner.received.push(Received {
        sid: sid.clone(),
        to: to.clone(),
        from: from.clone(),
        body: body.clone(),
        status_callback: form.get("StatusCallback").cloned(),
    });
    (
        StatusCode::CREATED,
        Json(json!({
            "account_sid": fake.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_segments": "1",
            "sid": sid,
            "status": "queued",
            "to": to,
            "uri": format!("/2010-04-01/Accounts/{}/Messages/{sid}.json", fake.account_sid),
        })),
    )
}

impl FakeTwilio {
    /// Starts the fake on a random loopback port.
    pub async fn start(account_sid: &str, auth_token: &str) -> anyhow::Result<FakeTwilio> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let fake = FakeTwilio {
            addr: listener.local_addr()?,
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            number: "+4578787878".into(),
            inner: Arc::new(Mutex::new(Inner::default())),
            http: reqwest::Client::new(),
        };
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message),
            )
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

    /// Bodies of the messages sent to one E.164 number.
    pub fn to(&self, e164: &str) -> Vec<String> {
        self.received()
            .into_iter()
            .filter(|r| r.to == e164)
            .map(|r| r.body)
            .collect()
    }

    /// The next `n` send requests fail with a 500.
    pub fn fail_next(&self, n: usize) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fail_next = n;
    }

    /// A person texts the account's number: Twilio posts the message to
    /// `webhook`, signed. Returns the webhook's status and body.
    pub async fn text_in(&self, webhook: &str, from: &str, body: &str) -> (u16, String) {
        let token = self.auth_token.clone();
        self.text_in_signed(webhook, from, body, &token, webhook)
            .await
    }

    /// The same, signed with `auth_token` over the address `signed_for`:
    /// a forged or replayed call when either is not the real one.
    pub async fn text_in_signed(
        &self,
        webhook: &str,
        from: &str,
        body: &str,
        auth_token: &str,
        signed_for: &str,
    ) -> (u16, String) {
        let sid = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.next += 1;
            format!("SM{:032x}", inner.next)
        };
        let params = [
            ("ToCountry", "DK"),
            ("SmsMessageSid", &sid),
            ("NumMedia", "0"),
            ("SmsSid", &sid),
            ("SmsStatus", "received"),
            ("Body", body),
            ("To", &self.number),
            ("NumSegments", "1"),
            ("MessageSid", &sid),
            ("AccountSid", &self.account_sid),
            ("From", from),
            ("ApiVersion", "2010-04-01"),
        ];
        self.post_signed(webhook, &params, auth_token, signed_for)
            .await
    }

    /// Twilio reports on the `n`th message it took (from 0): posts to its
    /// `StatusCallback`, signed. `error_code` goes with `failed` and
    /// `undelivered` (30003: unreachable handset).
    pub async fn report(&self, n: usize, status: &str, error_code: Option<&str>) -> (u16, String) {
        let token = self.auth_token.clone();
        self.report_signed(n, status, error_code, &token).await
    }

    /// The same, signed with `auth_token`.
    pub async fn report_signed(
        &self,
        n: usize,
        status: &str,
        error_code: Option<&str>,
        auth_token: &str,
    ) -> (u16, String) {
        let message = self.received().get(n).cloned().expect("no such message");
        let callback = message
            .status_callback
            .clone()
            .expect("the message was sent without a StatusCallback");
        let mut params = vec![
            ("SmsSid", message.sid.as_str()),
            ("SmsStatus", status),
            ("MessageStatus", status),
            ("To", message.to.as_str()),
            ("MessageSid", message.sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", message.from.as_str()),
            ("ApiVersion", "2010-04-01"),
        ];
        if let Some(code) = error_code {
            params.push(("ErrorCode", code));
        }
        self.post_signed(&callback, &params, auth_token, &callback)
            .await
    }

    async fn post_signed(
        &self,
        url: &str,
        params: &[(&str, &str)],
        auth_token: &str,
        signed_for: &str,
    ) -> (u16, String) {
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let signature = twilio::signature(auth_token, signed_for, &owned);
        let response = self
            .http
            .post(url)
            .header("X-Twilio-Signature", signature)
            .header("I-Twilio-Idempotency-Token", crate::engine::new_key())
            .form(&owned)
            .send()
            .await
            .expect("the webhook answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}
