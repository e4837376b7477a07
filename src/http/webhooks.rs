//! Webhooks the SMS gateways call. Each verifies the caller, stores the
//! message, queues its handling and answers at once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::sms::gatewayapi;
use crate::store::inbound::NewInbound;

/// GatewayAPI's incoming-SMS (MO) webhook.
pub async fn gatewayapi_incoming(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let Some(secret) = state.gatewayapi_secret.as_deref() else {
        return Err(ApiError::BadSignature);
    };
    let token = headers
        .get(gatewayapi::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::BadSignature)?;
    let mo = gatewayapi::verify_incoming(secret, token, &body).map_err(|e| match e {
        gatewayapi::WebhookError::Signature => ApiError::BadSignature,
        gatewayapi::WebhookError::Body(m) => ApiError::BadRequest(m),
    })?;
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
