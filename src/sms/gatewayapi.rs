//! GatewayAPI (gatewayapi.eu / .com), the SMS gateway Danish municipalities
//! use: sending over its REST API, and its signed incoming-SMS webhook.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{OutgoingSms, SendError, SmsProvider};

/// The header GatewayAPI puts its webhook signature in: an HS256 JWT made
/// with the webhook's secret, whose claims are the posted message.
pub const SIGNATURE_HEADER: &str = "x-gwapi-signature";

#[derive(Debug, Clone)]
pub struct GatewayApiConfig {
    /// `https://gatewayapi.eu` (EU data residency) or `https://gatewayapi.com`.
    pub base_url: String,
    pub token: String,
    /// The sender shown on phones: up to 11 characters, or a number.
    pub sender: String,
    /// How long a send may take before its outcome is unknown
    /// ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
}

/// A send that has not been answered in this long is given up as of
/// unknown outcome. GatewayAPI documents no deadline of its own; an
/// accepted send is answered in well under a second.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

pub struct GatewayApi {
    config: GatewayApiConfig,
    client: reqwest::Client,
}

impl GatewayApi {
    pub fn new(config: GatewayApiConfig) -> anyhow::Result<GatewayApi> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(GatewayApi { config, client })
    }
}

#[derive(Serialize)]
struct SendRequest<'a> {
    sender: &'a str,
    message: &'a str,
    recipients: [Recipient; 1],
    /// Our idempotency key, echoed in delivery reports.
    userref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
}

#[derive(Serialize)]
struct Recipient {
    msisdn: u64,
}

#[derive(Deserialize)]
struct SendResponse {
    ids: Vec<u64>,
}

/// True when every character is in the GSM 03.38 alphabet (with its
/// extension table); otherwise the message must go as UCS-2.
pub fn is_gsm7(text: &str) -> bool {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    text.chars()
        .all(|c| BASIC.contains(c) || EXTENDED.contains(c))
}

#[async_trait]
impl SmsProvider for GatewayApi {
    fn name(&self) -> &'static str {
        "gatewayapi"
    }

    async fn send(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let msisdn: u64 = sms
            .to
            .trim_start_matches('+')
            .parse()
            .map_err(|_| SendError::Permanent("the recipient is not a phone number".into()))?;
        let request = SendRequest {
            sender: &self.config.sender,
            message: sms.body,
            recipients: [Recipient { msisdn }],
            userref: sms.idempotency_key,
            encoding: if is_gsm7(sms.body) {
                None
            } else {
                Some("UCS2")
            },
        };
        let url = format!("{}/rest/mtsms", self.config.base_url.trim_end_matches('/'));
        let response = self
            .client
            .post(url)
            .header("Authorization", format!("Token {}", self.config.token))
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                // Once connected, a timeout may come after GatewayAPI took
                // the message.
                if e.is_timeout() && !e.is_connect() {
                    SendError::Unknown(format!("gatewayapi did not answer: {}", e.without_url()))
                } else {
                    SendError::Temporary(format!("gatewayapi unreachable: {}", e.without_url()))
                }
            })?;
        let status = response.status();
        if status.is_success() {
            // A success answered unreadably: it was taken.
            let body: SendResponse = response.json().await.map_err(|e| {
                SendError::Unknown(format!(
                    "gatewayapi answered without ids: {}",
                    e.without_url()
                ))
            })?;
            return body
                .ids
                .first()
                .map(|id| id.to_string())
                .ok_or_else(|| SendError::Unknown("gatewayapi answered without an id".into()));
        }
        let text = response.text().await.unwrap_or_default();
        let detail: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let reason = format!(
            "gatewayapi {}: {} {}",
            status.as_u16(),
            detail["code"].as_str().unwrap_or(""),
            detail["message"].as_str().unwrap_or("")
        );
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Temporary(reason))
        } else {
            Err(SendError::Permanent(reason))
        }
    }
}

/// An incoming SMS as GatewayAPI posts it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncomingSms {
    pub id: u64,
    pub msisdn: u64,
    pub receiver: Option<u64>,
    pub message: String,
    /// Seconds since 1970; documented as an integer, sometimes sent with
    /// a fraction, so kept as the number it is.
    pub senttime: Option<serde_json::Number>,
    pub webhook_label: Option<String>,
}

impl IncomingSms {
    /// The text without the leased keyword it starts with on a shared
    /// short code (`VALG JA K7` → `JA K7`).
    pub fn text_without_keyword(&self, keyword: Option<&str>) -> &str {
        let text = self.message.trim_start();
        let Some(keyword) = keyword.map(str::trim).filter(|k| !k.is_empty()) else {
            return text;
        };
        match text.split_once(char::is_whitespace) {
            Some((first, rest)) if first.eq_ignore_ascii_case(keyword) => rest.trim_start(),
            None if text.eq_ignore_ascii_case(keyword) => "",
            _ => text,
        }
    }
}

#[derive(Debug)]
pub enum WebhookError {
    Signature,
    Body(String),
}

/// A delivery status report as GatewayAPI posts it to the status webhook.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeliveryStatus {
    /// GatewayAPI's message id.
    pub id: u64,
    pub msisdn: u64,
    pub time: Option<serde_json::Number>,
    /// `DELIVERED`, `UNDELIVERABLE`, `REJECTED`, `EXPIRED`, `ENROUTE`, …
    pub status: String,
    pub error: Option<String>,
    pub code: Option<serde_json::Value>,
    /// Our idempotency key, sent with the message.
    pub userref: Option<String>,
}

impl DeliveryStatus {
    pub fn delivery(&self) -> crate::engine::reports::Delivery {
        use crate::engine::reports::Delivery;
        match self.status.as_str() {
            "DELIVERED" => Delivery::Delivered,
            "UNDELIVERABLE" | "REJECTED" | "EXPIRED" | "DELETED" | "SKIPPED" => {
                Delivery::Undelivered
            }
            _ => Delivery::Pending,
        }
    }
}

/// Verifies the JWT in the signature header with the webhook's secret and
/// returns the message. The body must be the message the token signs.
pub fn verify_incoming(
    secret: &str,
    token: &str,
    body: &[u8],
) -> Result<IncomingSms, WebhookError> {
    verify(secret, token, body, "an incoming SMS")
}

/// The same for a delivery status report.
pub fn verify_status(
    secret: &str,
    token: &str,
    body: &[u8],
) -> Result<DeliveryStatus, WebhookError> {
    verify(secret, token, body, "a delivery status")
}

fn verify<T: serde::de::DeserializeOwned + PartialEq>(
    secret: &str,
    token: &str,
    body: &[u8],
    what: &str,
) -> Result<T, WebhookError> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    // The signature is checked on the token as it is; a correctly signed
    // message whose fields are missing or mistyped is a bad request, not
    // a forgery.
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|_| WebhookError::Signature)?
    .claims;
    let posted: T =
        serde_json::from_slice(body).map_err(|e| WebhookError::Body(format!("not {what}: {e}")))?;
    let signed: T = serde_json::from_value(claims)
        .map_err(|e| WebhookError::Body(format!("the signed content is not {what}: {e}")))?;
    if posted != signed {
        return Err(WebhookError::Signature);
    }
    Ok(posted)
}

/// Signs a message the way GatewayAPI does, for tests and the fake gateway.
pub fn sign_incoming(secret: &str, sms: &IncomingSms) -> String {
    sign(secret, sms)
}

/// Signs a webhook body the way GatewayAPI does.
pub fn sign<T: Serialize>(secret: &str, body: &T) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        body,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms() -> IncomingSms {
        IncomingSms {
            id: 1000001,
            msisdn: 4512345678,
            receiver: Some(4512341234),
            message: "JA K7".into(),
            senttime: Some(1_450_000_000.into()),
            webhook_label: Some("valgvagt".into()),
        }
    }

    #[test]
    fn a_message_signed_with_the_secret_is_accepted() {
        let body = serde_json::to_vec(&sms()).unwrap();
        let token = sign_incoming("s3cret", &sms());
        assert_eq!(verify_incoming("s3cret", &token, &body).unwrap(), sms());
    }

    #[test]
    fn a_wrong_secret_or_a_changed_body_is_refused() {
        let token = sign_incoming("s3cret", &sms());
        let body = serde_json::to_vec(&sms()).unwrap();
        assert!(matches!(
            verify_incoming("other", &token, &body),
            Err(WebhookError::Signature)
        ));
        let mut changed = sms();
        changed.message = "NEJ K7".into();
        let body = serde_json::to_vec(&changed).unwrap();
        assert!(matches!(
            verify_incoming("s3cret", &token, &body),
            Err(WebhookError::Signature)
        ));
    }

    #[test]
    fn a_signed_message_with_fields_missing_or_mistyped_is_a_bad_request() {
        let partial = serde_json::json!({ "id": 7, "message": "JA" });
        let token = sign("s3cret", &partial);
        let body = serde_json::to_vec(&partial).unwrap();
        assert!(matches!(
            verify_incoming("s3cret", &token, &body),
            Err(WebhookError::Body(_))
        ));
        let mistyped =
            serde_json::json!({ "id": "seven", "msisdn": 4512345678u64, "message": "JA" });
        let token = sign("s3cret", &mistyped);
        let body = serde_json::to_vec(&mistyped).unwrap();
        assert!(matches!(
            verify_incoming("s3cret", &token, &body),
            Err(WebhookError::Body(_))
        ));
    }

    #[test]
    fn the_leased_keyword_is_taken_off_the_front_in_any_case() {
        let mut m = sms();
        m.message = "valg JA K7".into();
        assert_eq!(m.text_without_keyword(Some("VALG")), "JA K7");
        assert_eq!(m.text_without_keyword(None), "valg JA K7");
        m.message = "JA K7".into();
        assert_eq!(m.text_without_keyword(Some("VALG")), "JA K7");
        m.message = "Valget er i morgen".into();
        assert_eq!(m.text_without_keyword(Some("VALG")), "Valget er i morgen");
    }

    #[test]
    fn a_sent_time_with_a_fraction_is_accepted() {
        let body = br#"{"id": 1, "msisdn": 4512345678, "receiver": 451204, "message": "JA", "senttime": 1554465205.0}"#;
        let parsed: IncomingSms = serde_json::from_slice(body).unwrap();
        let token = sign_incoming("s", &parsed);
        assert_eq!(verify_incoming("s", &token, body).unwrap().message, "JA");
    }

    #[test]
    fn danish_letters_fit_gsm7_but_emoji_need_ucs2() {
        assert!(is_gsm7("Svar JA eller NEJ. Æblegrød på Åbo"));
        assert!(!is_gsm7("Tak 👍"));
    }
}
