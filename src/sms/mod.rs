//! SMS gateways: sending one message, and reading what they post to us.

pub mod dev;
pub mod fake_gatewayapi;
pub mod fake_twilio;
pub mod gatewayapi;
pub mod pacing;
pub mod twilio;

use async_trait::async_trait;

/// One SMS to send.
#[derive(Clone)]
pub struct OutgoingSms<'a> {
    /// The outbox row's id.
    pub outbox_id: i64,
    /// Stable across retries of the same message; providers that support it
    /// use it to drop a repeated request.
    pub idempotency_key: &'a str,
    /// E.164, `+4512345678`.
    pub to: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: no connection, a 5xx, a rate limit.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Will never work as it is: a refused number, bad credentials.
    #[error("permanent: {0}")]
    Permanent(String),
    /// The call may have reached the provider and the phone: it timed out
    /// once sent, or the provider took it and answered unreadably. Tried
    /// again only after a longer pause, the message marked as possibly
    /// sent: a resend may reach the phone twice.
    #[error("unknown outcome: {0}")]
    Unknown(String),
}

#[async_trait]
pub trait SmsProvider: Send + Sync {
    /// The name kept with each message sent (`dev`, `gatewayapi`, `twilio`).
    fn name(&self) -> &'static str;

    /// Sends one message; returns the provider's id for it.
    async fn send(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError>;

    /// Most messages one request carries: a delivery records each
    /// request's results as it returns, so this is also most messages a
    /// crash during it can send twice.
    fn batch_size(&self) -> usize {
        1
    }

    /// Sends a batch, up to `parallel` at once; returns one result per
    /// message, in the batch's order. A provider that can take many
    /// messages in one call overrides it.
    async fn send_all(
        &self,
        batch: &[OutgoingSms<'_>],
        parallel: usize,
    ) -> Vec<Result<String, SendError>> {
        use futures::StreamExt;
        futures::stream::iter(0..batch.len())
            .map(|i| self.send(&batch[i]))
            .buffered(parallel.max(1))
            .collect()
            .await
    }
}
