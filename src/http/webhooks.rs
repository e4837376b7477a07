//! Webhooks the SMS gateways call. Each verifies the caller, stores the
//! message, queues its handling and answers at once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::engine::reports::DeliveryReport;
use crate::sms::gatewayapi;
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
