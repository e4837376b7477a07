//! Twilio: sending over its Messages API, and its webhooks (incoming SMS
//! and status callbacks), which it signs with `X-Twilio-Signature`.
//!
//! The Messages API takes no idempotency key: a send whose answer was lost
//! (a timeout after Twilio took it) is of unknown outcome: sent again
//! after a longer pause, marked as possibly sent twice. Status
//! callbacks carry our key back in the callback address's `ref`.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;

use super::{OutgoingSms, SendError, SmsProvider};
use crate::engine::reports::Delivery;

/// The header Twilio puts its webhook signature in.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Who messages come from: a number of the account, or a messaging
/// service that picks one.
#[derive(Debug, Clone)]
pub enum TwilioSender {
    /// `+4512345678`, or an alphanumeric sender ID where allowed.
    From(String),
    /// `MG…`
    MessagingService(String),
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// `https://api.twilio.com`.
    pub base_url: String,
    pub account_sid: String,
    /// Authenticates our calls and signs Twilio's calls to us.
    pub auth_token: String,
    pub sender: TwilioSender,
    /// Where Twilio reports what became of each message:
    /// `https://valg.kommune.dk/webhooks/twilio/status`.
    pub status_callback: Option<String>,
}

pub struct Twilio {
    config: TwilioConfig,
    client: reqwest::Client,
}

impl Twilio {
    pub fn new(config: TwilioConfig) -> anyhow::Result<Twilio> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Twilio { config, client })
    }
}

#[derive(Deserialize)]
struct MessageResource {
    sid: String,
}

#[derive(Deserialize, Default)]
struct ErrorResource {
    code: Option<i64>,
    message: Option<String>,
}

#[async_trait]
impl SmsProvider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    async fn send(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let c = &self.config;
        let mut form = vec![("To", sms.to.to_string()), ("Body", sms.body.to_string())];
        match &c.sender {
            TwilioSender::From(from) => form.push(("From", from.clone())),
            TwilioSender::MessagingService(sid) => form.push(("MessagingServiceSid", sid.clone())),
        }
        if let Some(callback) = &c.status_callback {
            form.push((
                "StatusCallback",
                format!("{callback}?ref={}", sms.idempotency_key),
            ));
        }
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            c.base_url.trim_end_matches('/'),
            c.account_sid
        );
        let response = self
            .client
            .post(url)
            .basic_auth(&c.account_sid, Some(&c.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() && !e.is_connect() {
                    return SendError::Unknown(format!(
                        "twilio did not answer: {}",
                        e.without_url()
                    ));
                }
                SendError::Temporary(format!("twilio unreachable: {}", e.without_url()))
            })?;
        let status = response.status();
        if status.is_success() {
            let message: MessageResource = response.json().await.map_err(|e| {
                SendError::Unknown(format!(
                    "twilio answered without a sid: {}",
                    e.without_url()
                ))
            })?;
            return Ok(message.sid);
        }
        let text = response.text().await.unwrap_or_default();
        let error: ErrorResource = serde_json::from_str(&text).unwrap_or_default();
        let reason = format!(
            "twilio {}: {} {}",
            status.as_u16(),
            error.code.map(|c| c.to_string()).unwrap_or_default(),
            error.message.unwrap_or_default()
        );
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Temporary(reason))
        } else {
            Err(SendError::Permanent(reason))
        }
    }
}

/// The signature Twilio sends with a form-encoded call to `url` (the whole
/// address it called, query included): HMAC-SHA1 with the auth token over
/// the address followed by each parameter's name and value, sorted by name,
/// in base64.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mac = signed(auth_token, url, params);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` is Twilio's signature of this call.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    signed(auth_token, url, params)
        .verify_slice(&expected)
        .is_ok()
}

fn signed(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<sha1::Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The first value of a form parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// What a status callback's `MessageStatus` says, in our words.
pub fn delivery(message_status: &str) -> Delivery {
    match message_status {
        "delivered" | "read" => Delivery::Delivered,
        "undelivered" | "failed" | "canceled" => Delivery::Undelivered,
        _ => Delivery::Pending,
    }
}

/// The empty TwiML answer: we reply with a message of our own later, not
/// in the webhook's answer.
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The example in Twilio's webhook security documentation.
    #[test]
    fn the_signature_matches_twilios_documented_example() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = params(&[
            ("To", "+18005551212"),
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
        ]);
        assert_eq!(signature("12345", url, &p), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert!(verify("12345", url, &p, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }

    #[test]
    fn a_changed_parameter_address_or_token_is_refused() {
        let url = "https://valg.kommune.dk/webhooks/twilio/incoming";
        let p = params(&[("Body", "JA K7"), ("From", "+4520000001")]);
        let good = signature("token", url, &p);
        assert!(verify("token", url, &p, &good));
        let changed = params(&[("Body", "NEJ K7"), ("From", "+4520000001")]);
        assert!(!verify("token", url, &changed, &good));
        assert!(!verify("token", "https://evil.example/x", &p, &good));
        assert!(!verify("other", url, &p, &good));
        assert!(!verify("token", url, &p, "not base64!"));
    }

    #[test]
    fn parameters_are_signed_in_name_order_whatever_order_they_came_in() {
        let url = "https://valg.kommune.dk/webhooks/twilio/status";
        let a = params(&[("MessageSid", "SM1"), ("MessageStatus", "failed")]);
        let b = params(&[("MessageStatus", "failed"), ("MessageSid", "SM1")]);
        assert_eq!(signature("t", url, &a), signature("t", url, &b));
    }

    #[test]
    fn failed_and_undelivered_are_final_but_sent_is_not() {
        assert_eq!(delivery("delivered"), Delivery::Delivered);
        assert_eq!(delivery("undelivered"), Delivery::Undelivered);
        assert_eq!(delivery("failed"), Delivery::Undelivered);
        assert_eq!(delivery("sent"), Delivery::Pending);
        assert_eq!(delivery("queued"), Delivery::Pending);
    }
}
