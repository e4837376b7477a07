//! Delivering outbox messages.
//!
//! An attempt is claimed (`sending`) and committed before the gateway is
//! called, so two jobs for the same row never both call it. The gateway is
//! given the row's idempotency key. If the process dies after the claim,
//! the row is released after [`DeliveryPolicy::lease`] and tried again
//! with the same key.

use std::collections::HashMap;

use futures::StreamExt;

use chrono::{DateTime, Duration, Utc};

use super::{Engine, EngineError};
use crate::mail::OutgoingMail;
use crate::mail::compose::{link_markers, resolve_links};
use crate::sms::{OutgoingSms, SendError};
use crate::store::{OutboxMessage, Tx};
use valgvagt_bots::telegram::{Button, CHAT_GONE, OutgoingChat, SendError as ChatSendError};

#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    /// Attempts before a message is dead.
    pub max_attempts: i32,
    /// Wait before the second attempt; doubled for each one after.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claimed attempt may take before it is presumed dead.
    pub lease: Duration,
    /// Gateway calls one delivery job makes at once.
    pub parallel: usize,
    /// The least wait after an attempt of unknown outcome (a timeout once
    /// sent): the message may have reached the phone, so a resend is not
    /// hurried.
    pub unknown_pause: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            max_attempts: 6,
            first_backoff: Duration::seconds(30),
            max_backoff: Duration::hours(1),
            lease: Duration::minutes(5),
            parallel: 16,
            unknown_pause: Duration::minutes(5),
        }
    }
}

impl DeliveryPolicy {
    /// When to try again after `attempts` failed attempts, or `None` when
    /// that was the last.
    pub fn retry_at(&self, attempts: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 1i32 << (attempts - 1).clamp(0, 20);
        let wait = (self.first_backoff * factor).min(self.max_backoff);
        Some(now + wait)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent,
    /// Failed this time; another attempt is scheduled.
    WillRetry,
    /// Failed for good; listed as a dead letter.
    Dead,
}

struct SignedLink {
    person_id: i64,
    question_id: Option<i64>,
    seat_id: Option<i64>,
    url: String,
}

/// The address of link `id` when it is the message's own: a marker for
/// anyone else's (typed into a name, say) stays text.
fn own_link(links: &HashMap<i64, SignedLink>, msg: &OutboxMessage, id: i64) -> Option<String> {
    links
        .get(&id)
        .filter(|l| l.belongs_to(msg))
        .map(|l| l.url.clone())
}

impl SignedLink {
    /// Whether the link belongs in this message: the same person, and the
    /// question it asks (a cancel link: the seat it is about; a Telegram
    /// deep link is about the person alone).
    fn belongs_to(&self, msg: &OutboxMessage) -> bool {
        Some(self.person_id) == msg.person_id
            && match (self.question_id, self.seat_id) {
                (Some(q), _) => Some(q) == msg.question_id,
                (None, Some(s)) => Some(s) == msg.seat_id,
                (None, None) => true,
            }
    }
}

/// Every message, with the same failure.
fn fail_all(
    messages: Vec<OutboxMessage>,
    e: SendError,
) -> Vec<(OutboxMessage, Result<String, SendError>)> {
    messages.into_iter().map(|m| (m, Err(e.clone()))).collect()
}

/// `s` made safe inside a double-quoted HTML attribute.
fn html_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Engine {
    /// Delivers a batch of outbox messages: claims every one that is due in
    /// one transaction, calls the gateway for them (up to
    /// [`DeliveryPolicy::parallel`] at once), and records every result in
    /// a second transaction. Returns the outcome of each message it
    /// claimed, in id order; the others were sent already, claimed by
    /// another job, or not due.
    pub async fn deliver(&self, ids: &[i64]) -> Result<Vec<(i64, DeliveryOutcome)>, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let claimed = tx.claim_messages(ids, now).await?;
        tx.commit().await?;

        let sent = self.send_claimed(claimed).await;

        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut outcomes = Vec::with_capacity(sent.len());
        let mut delivered = Vec::new();
        let mut mailed = Vec::new();
        let mut chatted = Vec::new();
        let mut fx = super::Effects::default();
        for (msg, result) in sent {
            let outcome = match result {
                Ok(provider_id) if msg.channel == "email" => {
                    mailed.push((msg.id, provider_id));
                    DeliveryOutcome::Sent
                }
                Ok(provider_id) if msg.channel == "telegram" => {
                    chatted.push((msg.id, provider_id));
                    DeliveryOutcome::Sent
                }
                Ok(provider_id) => {
                    delivered.push((msg.id, provider_id));
                    DeliveryOutcome::Sent
                }
                Err(e) => {
                    let gone = matches!(&e, SendError::Permanent(r) if r.starts_with(CHAT_GONE));
                    let outcome = self.record_failure(&mut tx, &msg, e).await?;
                    if gone {
                        self.chat_gone(&mut tx, &mut fx, &msg, now).await?;
                    }
                    outcome
                }
            };
            outcomes.push((msg.id, outcome));
        }
        tx.mark_sent_many(&delivered, self.sms.name(), now).await?;
        tx.mark_sent_many(&mailed, "smtp", now).await?;
        tx.mark_sent_many(&chatted, "telegram", now).await?;
        self.commit(tx, &fx).await?;
        Ok(outcomes)
    }

    /// Hands the claimed messages to their transports, SMS as one batch;
    /// returns each with its result, in id order.
    async fn send_claimed(
        &self,
        claimed: Vec<OutboxMessage>,
    ) -> Vec<(OutboxMessage, Result<String, SendError>)> {
        let (sms, other): (Vec<_>, Vec<_>) = claimed.into_iter().partition(|m| m.channel == "sms");
        // An SMS whose template prints a link carries its marker.
        let ids: Vec<i64> = sms.iter().flat_map(|m| link_markers(&m.body)).collect();
        let links = match self.links_for(&ids).await {
            Ok(links) => links,
            Err(e) => {
                return sms
                    .into_iter()
                    .chain(other)
                    .map(|m| (m, Err(SendError::Temporary(e.to_string()))))
                    .collect();
            }
        };
        let bodies: Vec<String> = sms
            .iter()
            .map(|msg| resolve_links(&msg.body, |id| own_link(&links, msg, id)))
            .collect();
        let batch: Vec<OutgoingSms> = sms
            .iter()
            .zip(&bodies)
            .map(|(msg, body)| OutgoingSms {
                outbox_id: msg.id,
                idempotency_key: &msg.idempotency_key,
                to: &msg.recipient,
                body,
            })
            .collect();
        let results = self
            .sms
            .send_all(&batch, self.delivery.parallel.max(1))
            .await;
        drop(batch);
        let mut sent: Vec<_> = sms.into_iter().zip(results).collect();
        let (email, other): (Vec<_>, Vec<_>) =
            other.into_iter().partition(|m| m.channel == "email");
        if !email.is_empty() {
            sent.extend(self.send_emails(email).await);
        }
        let (chats, other): (Vec<_>, Vec<_>) =
            other.into_iter().partition(|m| m.channel == "telegram");
        if !chats.is_empty() {
            sent.extend(self.send_chats(chats).await);
        }
        sent.extend(other.into_iter().map(|msg| {
            let e = SendError::Permanent(format!("no transport for channel {}", msg.channel));
            (msg, Err(e))
        }));
        sent.sort_by_key(|(msg, _)| msg.id);
        sent
    }

    /// Sends e-mails one after the other over the SMTP pool, with their
    /// link markers turned into signed addresses.
    async fn send_emails(
        &self,
        messages: Vec<OutboxMessage>,
    ) -> Vec<(OutboxMessage, Result<String, SendError>)> {
        let Some(smtp) = &self.email else {
            return fail_all(
                messages,
                SendError::Temporary("no SMTP server is configured".into()),
            );
        };
        let links = match self.marked_links(&messages).await {
            Ok(links) => links,
            Err(e) => return fail_all(messages, SendError::Temporary(e.to_string())),
        };
        let links = &links;
        futures::stream::iter(messages)
            .map(|msg| async move {
                let own = |id: i64| own_link(links, &msg, id);
                let text = resolve_links(&msg.body, own);
                let html = resolve_links(msg.html.as_deref().unwrap_or_default(), |id| {
                    own(id).map(|u| html_attribute(&u))
                });
                let result = smtp
                    .send(&OutgoingMail {
                        outbox_id: msg.id,
                        idempotency_key: &msg.idempotency_key,
                        to: &msg.recipient,
                        subject: msg.subject.as_deref().unwrap_or_default(),
                        text: &text,
                        html: &html,
                        calendar: msg.calendar.as_deref(),
                    })
                    .await;
                (msg, result)
            })
            .buffered(self.delivery.parallel.max(1))
            .collect()
            .await
    }

    /// Sends Telegram messages through the bot (throttled to Telegram's
    /// limits), with their buttons and their links resolved.
    async fn send_chats(
        &self,
        messages: Vec<OutboxMessage>,
    ) -> Vec<(OutboxMessage, Result<String, SendError>)> {
        let Some(bot) = self.telegram() else {
            return fail_all(
                messages,
                SendError::Temporary("no Telegram bot is configured".into()),
            );
        };
        let links = match self.marked_links(&messages).await {
            Ok(links) => links,
            Err(e) => return fail_all(messages, SendError::Temporary(e.to_string())),
        };
        let links = &links;
        futures::stream::iter(messages)
            .map(|msg| async move {
                let text = resolve_links(&msg.body, |id| own_link(links, &msg, id));
                let buttons: Vec<Vec<Button>> = msg
                    .buttons
                    .as_deref()
                    .and_then(|b| serde_json::from_str(b).ok())
                    .unwrap_or_default();
                let result = match msg.recipient.parse::<i64>() {
                    Ok(chat_id) => bot
                        .send(&OutgoingChat {
                            chat_id,
                            text: &text,
                            buttons: &buttons,
                        })
                        .await
                        .map_err(|e| match e {
                            ChatSendError::Permanent(r) => SendError::Permanent(r),
                            ChatSendError::Temporary(r) => SendError::Temporary(r),
                        }),
                    Err(_) => Err(SendError::Permanent("the recipient is no chat id".into())),
                };
                (msg, result)
            })
            .buffered(self.delivery.parallel.max(1))
            .collect()
            .await
    }

    /// The links whose markers are in these messages.
    async fn marked_links(
        &self,
        messages: &[OutboxMessage],
    ) -> Result<HashMap<i64, SignedLink>, sqlx::Error> {
        let ids: Vec<i64> = messages
            .iter()
            .flat_map(|m| link_markers(&m.body))
            .collect();
        self.links_for(&ids).await
    }

    /// The signed address of each link, with whom and what it is for.
    async fn links_for(&self, ids: &[i64]) -> Result<HashMap<i64, SignedLink>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut tx = self.db.read().await?;
        let links = tx.links(ids).await?;
        Ok(links
            .iter()
            .filter_map(|l| {
                let token = self.links.key.token(&l.facts());
                let url = match (l.purpose.as_str(), self.telegram()) {
                    ("telegram", Some(bot)) => bot.deep_link(&token),
                    // Made while a bot was configured: no link now.
                    ("telegram", None) => return None,
                    _ => self.links.url(&token),
                };
                let signed = SignedLink {
                    person_id: l.person_id,
                    question_id: l.question_id,
                    seat_id: l.seat_id,
                    url,
                };
                Some((l.id, signed))
            })
            .collect())
    }

    async fn record_failure(
        &self,
        tx: &mut Tx,
        msg: &OutboxMessage,
        error: SendError,
    ) -> Result<DeliveryOutcome, EngineError> {
        let now = self.clock.now();
        let maybe_sent = matches!(error, SendError::Unknown(_));
        Ok(match error {
            SendError::Permanent(reason) => {
                // The reason may quote the recipient: it is kept on the row
                // for the secretariat, not logged.
                tracing::warn!(
                    outbox_id = msg.id,
                    attempts = msg.attempts,
                    "delivery refused for good"
                );
                tx.mark_failed(msg.id, &reason, None, false).await?;
                DeliveryOutcome::Dead
            }
            SendError::Temporary(reason) | SendError::Unknown(reason) => {
                // An attempt that may have reached the phone is marked, and
                // the next is not hurried.
                let mut retry = self.delivery.retry_at(msg.attempts, now);
                if maybe_sent {
                    retry = retry.map(|at| at.max(now + self.delivery.unknown_pause));
                }
                tracing::info!(
                    outbox_id = msg.id,
                    attempts = msg.attempts,
                    will_retry = retry.is_some(),
                    maybe_sent,
                    "delivery failed"
                );
                tx.mark_failed(msg.id, &reason, retry, maybe_sent).await?;
                if retry.is_some() {
                    DeliveryOutcome::WillRetry
                } else {
                    DeliveryOutcome::Dead
                }
            }
        })
    }

    /// Releases attempts whose process died mid-call (see the module docs).
    pub async fn release_stuck_deliveries(&self) -> Result<u64, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let n = tx.release_stuck_messages(now - self.delivery.lease).await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_ends_after_the_last_attempt() {
        let p = DeliveryPolicy::default();
        let now = Utc::now();
        assert_eq!(p.retry_at(1, now), Some(now + Duration::seconds(30)));
        assert_eq!(p.retry_at(2, now), Some(now + Duration::seconds(60)));
        assert_eq!(p.retry_at(5, now), Some(now + Duration::seconds(480)));
        assert_eq!(p.retry_at(6, now), None);
        let long = DeliveryPolicy {
            max_attempts: 30,
            ..p
        };
        assert_eq!(long.retry_at(20, now), Some(now + Duration::hours(1)));
    }
}
