//! Webhooks the SMS gateways call. Each verifies the caller, stores the
//! message, queues its handling and answers at once.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::{Form, Json};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::engine::reports::DeliveryReport;
use crate::sms::{gatewayapi, twilio};
use crate::store::inbound::NewInbound;

/// GatewayAPI's incoming-SMS (MO) webhook.
pub async fn gatewayapi_incoming(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let (secret, token) = signature(&state, &headers)?;
    let mo = gatewayapi::verify_incoming(secret, token, &body).map_err(refused)?;
    let sender = format!("+{}", mo.msisdn);
    let receiver = mo.receiver.map(|r| r.to_string());
    let id = mo.id.to_string();
    let stored = state
        .engine
        .receive_sms(&NewInbound {
            provider: "gatewayapi",
            provider_message_id: &id,
            sender: &sender,
            receiver: receiver.as_deref(),
            body: mo.text_without_keyword(state.gatewayapi_keyword.as_deref()),
        })
        .await?;
    Ok(Json(
        json!({ "received": true, "duplicate": stored.is_none() }),
    ))
}

/// GatewayAPI's delivery status webhook: records what became of a message
/// and, for an SMS that will not arrive, sends it another way.
pub async fn gatewayapi_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let (secret, token) = signature(&state, &headers)?;
    let report = gatewayapi::verify_status(secret, token, &body).map_err(refused)?;
    let id = report.id.to_string();
    let code = report.code.as_ref().map(|c| match c {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let detail = match (&report.error, &code) {
        (Some(e), Some(c)) => format!("{} {c}: {e}", report.status),
        (None, Some(c)) => format!("{} {c}", report.status),
        _ => report.status.clone(),
    };
    let outcome = state
        .engine
        .delivery_report(&DeliveryReport {
            provider: "gatewayapi",
            key: report.userref.as_deref(),
            provider_message_id: &id,
            delivery: report.delivery(),
            detail: &detail,
        })
        .await?;
    Ok(Json(json!({ "outcome": outcome.as_str() })))
}

/// Twilio's incoming-SMS webhook. It answers with empty TwiML: the reply
/// goes out later as a message of its own.
pub async fn twilio_incoming(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> ApiResult<impl IntoResponse> {
    twilio_signed(&state, &uri, &headers, &params)?;
    let field = |name| {
        twilio::param(&params, name)
            .ok_or_else(|| ApiError::BadRequest(format!("an incoming SMS without {name}")))
    };
    state
        .engine
        .receive_sms(&NewInbound {
            provider: "twilio",
            provider_message_id: field("MessageSid")?,
            sender: field("From")?,
            receiver: twilio::param(&params, "To"),
            body: twilio::param(&params, "Body").unwrap_or_default(),
        })
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/xml")],
        twilio::EMPTY_TWIML,
    ))
}

/// Twilio's status callback. The address carries our idempotency key as
/// `ref`, so a report finds its message even before the send recorded
/// Twilio's id.
pub async fn twilio_status(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> ApiResult<Json<Value>> {
    twilio_signed(&state, &uri, &headers, &params)?;
    let sid = twilio::param(&params, "MessageSid")
        .ok_or_else(|| ApiError::BadRequest("a status callback without MessageSid".into()))?;
    let status = twilio::param(&params, "MessageStatus").unwrap_or_default();
    let detail = match twilio::param(&params, "ErrorCode") {
        Some(code) if !code.is_empty() => format!("{status} {code}"),
        _ => status.to_string(),
    };
    let key: Option<String> = uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("ref="))
            .map(String::from)
    });
    let outcome = state
        .engine
        .delivery_report(&DeliveryReport {
            provider: "twilio",
            key: key.as_deref(),
            provider_message_id: sid,
            delivery: twilio::delivery(status),
            detail: &detail,
        })
        .await?;
    Ok(Json(json!({ "outcome": outcome.as_str() })))
}

/// Refuses a Twilio call unless it is signed with our auth token over the
/// address Twilio called: the public address and the path and query.
fn twilio_signed(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> ApiResult<()> {
    let token = state
        .twilio_auth_token
        .as_deref()
        .ok_or(ApiError::BadSignature)?;
    let signature = headers
        .get(twilio::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::BadSignature)?;
    let called = format!(
        "{}{}",
        state.engine.links.base_url.trim_end_matches('/'),
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    if twilio::verify(token, &called, params, signature) {
        Ok(())
    } else {
        Err(ApiError::BadSignature)
    }
}

/// The webhook secret and the call's signature; without either the call
/// is refused.
fn signature<'a>(state: &'a AppState, headers: &'a HeaderMap) -> ApiResult<(&'a str, &'a str)> {
    let secret = state
        .gatewayapi_secret
        .as_deref()
        .ok_or(ApiError::BadSignature)?;
    let token = headers
        .get(gatewayapi::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::BadSignature)?;
    Ok((secret, token))
}

fn refused(e: gatewayapi::WebhookError) -> ApiError {
    match e {
        gatewayapi::WebhookError::Signature => ApiError::BadSignature,
        gatewayapi::WebhookError::Body(m) => ApiError::BadRequest(m),
    }
}
