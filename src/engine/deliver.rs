//! Delivering outbox messages.
//!
//! A delivery job works through its messages with at most
//! [`DeliveryPolicy::parallel`] gateway calls in flight. Each call's
//! message is claimed (`sending`, with this process's id) and committed
//! before the call is made, so two jobs never both make it; each call's
//! result is committed as soon as it returns, in the same transaction as
//! the claim of the next messages. A process killed at any point therefore
//! leaves in `sending` only the calls it had in flight (or whose result it
//! had not yet committed): the claims of a dead process are released as
//! soon as it is known dead (a process starting on the same host sees its
//! pid gone; any other sees its heartbeat lapse), sent again at once and
//! marked as possibly sent, since a gateway such as GatewayAPI takes a
//! repeated request as a new message.

use std::collections::{HashMap, VecDeque};

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};

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
    /// How long a claimed attempt may take, even in a live process, before
    /// it is presumed lost.
    pub lease: Duration,
    /// How long a process may go without a heartbeat before the others
    /// take it for dead and release its claims.
    pub dead_after: Duration,
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
            dead_after: Duration::seconds(20),
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

/// What a gateway call returned for each message it carried.
type Returned = Vec<(OutboxMessage, Result<String, SendError>)>;

/// One gateway call ready to be made, its texts resolved.
enum Call {
    /// SMS: one message, or a batch for a provider that takes many in
    /// one request.
    Sms(Vec<(OutboxMessage, String)>),
    Email {
        msg: OutboxMessage,
        text: String,
        html: String,
    },
    Chat {
        msg: OutboxMessage,
        text: String,
        buttons: Vec<Vec<Button>>,
    },
    /// Cannot be made: the result is known without a call.
    Refused(OutboxMessage, SendError),
}

/// `s` made safe inside a double-quoted HTML attribute.
fn html_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Engine {
    /// Delivers the due messages among `ids`, with up to
    /// [`DeliveryPolicy::parallel`] gateway calls at once, recording each
    /// result as it returns (see the module docs). Returns the outcome of
    /// each message it claimed, in id order; the others were sent already,
    /// claimed by another job, or not due.
    ///
    /// SMS calls are paced to the provider's rate when one is set
    /// ([`Engine::pacer`]), `urgency` deciding who goes first.
    pub async fn deliver(
        &self,
        ids: &[i64],
        urgency: crate::jobs::Urgency,
    ) -> Result<Vec<(i64, DeliveryOutcome)>, EngineError> {
        let parallel = self.delivery.parallel.max(1);
        let per_call = self.sms.batch_size().max(1);
        let mut waiting: VecDeque<i64> = ids.iter().copied().collect();
        let mut in_flight = FuturesUnordered::new();
        let mut returned: Returned = Vec::new();
        let mut outcomes = Vec::with_capacity(ids.len());
        loop {
            let free = parallel.saturating_sub(in_flight.len());
            let want = if waiting.is_empty() {
                0
            } else {
                free * per_call
            };
            if want > 0 || !returned.is_empty() {
                let calls = self
                    .record_and_claim_patiently(&returned, &mut waiting, want, &mut outcomes)
                    .await?;
                returned.clear();
                for call in calls {
                    in_flight.push(self.call(call, urgency));
                }
            }
            // Wait for one call, then take every other that has returned
            // too: their results share the next transaction.
            let Some(first) = in_flight.next().await else {
                break;
            };
            returned.extend(first);
            while let Some(Some(more)) = in_flight.next().now_or_never() {
                returned.extend(more);
            }
        }
        outcomes.sort_by_key(|(id, _)| *id);
        Ok(outcomes)
    }

    /// [`Engine::record_and_claim`], tried again while the database is away
    /// (a restart, a failover) for up to [`DeliveryPolicy::lease`]: results
    /// already in hand are not thrown away, which would send those messages
    /// again.
    async fn record_and_claim_patiently(
        &self,
        returned: &Returned,
        waiting: &mut VecDeque<i64>,
        want: usize,
        outcomes: &mut Vec<(i64, DeliveryOutcome)>,
    ) -> Result<Vec<Call>, EngineError> {
        let started = std::time::Instant::now();
        let patience = self.delivery.lease.to_std().unwrap_or_default();
        let mut pause = std::time::Duration::from_millis(200);
        loop {
            let mut left = waiting.clone();
            match self.record_and_claim(returned, &mut left, want).await {
                Ok((recorded, calls)) => {
                    *waiting = left;
                    outcomes.extend(recorded);
                    return Ok(calls);
                }
                Err(EngineError::Db(e)) if started.elapsed() < patience => {
                    tracing::warn!(
                        error = %e,
                        results = returned.len(),
                        "delivery results cannot be recorded yet; trying again"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// In one transaction: records the calls that returned, and claims up
    /// to `want` of the `waiting` messages (fewer when others took some);
    /// returns the outcomes recorded and the calls for those claimed.
    async fn record_and_claim(
        &self,
        returned: &Returned,
        waiting: &mut VecDeque<i64>,
        want: usize,
    ) -> Result<(Vec<(i64, DeliveryOutcome)>, Vec<Call>), EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = super::Effects::default();
        let recorded = self.record(&mut tx, &mut fx, returned, now).await?;
        let mut claimed = Vec::new();
        while claimed.len() < want && !waiting.is_empty() {
            let n = (want - claimed.len()).min(waiting.len());
            let next: Vec<i64> = waiting.drain(..n).collect();
            claimed.extend(tx.claim_messages(&next, now, &self.process.id).await?);
        }
        let markers: Vec<i64> = claimed.iter().flat_map(|m| link_markers(&m.body)).collect();
        let links = self.signed_links(&mut tx, &markers).await?;
        self.commit(tx, &fx).await?;
        Ok((recorded, self.calls(claimed, &links)))
    }

    /// Records what the gateways said about each message.
    async fn record(
        &self,
        tx: &mut Tx,
        fx: &mut super::Effects,
        returned: &Returned,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, DeliveryOutcome)>, EngineError> {
        let mut outcomes = Vec::with_capacity(returned.len());
        let mut delivered = Vec::new();
        let mut mailed = Vec::new();
        let mut chatted = Vec::new();
        for (msg, result) in returned {
            let outcome = match result {
                Ok(provider_id) if msg.channel == "email" => {
                    mailed.push((msg.id, provider_id.clone()));
                    DeliveryOutcome::Sent
                }
                Ok(provider_id) if msg.channel == "telegram" => {
                    chatted.push((msg.id, provider_id.clone()));
                    DeliveryOutcome::Sent
                }
                Ok(provider_id) => {
                    delivered.push((msg.id, provider_id.clone()));
                    DeliveryOutcome::Sent
                }
                Err(e) => {
                    let gone = matches!(e, SendError::Permanent(r) if r.starts_with(CHAT_GONE));
                    let outcome = self.record_failure(tx, msg, e.clone()).await?;
                    if gone {
                        self.chat_gone(tx, fx, msg, now).await?;
                    }
                    outcome
                }
            };
            outcomes.push((msg.id, outcome));
        }
        tx.mark_sent_many(&delivered, self.sms.name(), now).await?;
        tx.mark_sent_many(&mailed, "smtp", now).await?;
        tx.mark_sent_many(&chatted, "telegram", now).await?;
        Ok(outcomes)
    }

    /// The gateway calls for claimed messages, their link markers turned
    /// into signed addresses: SMS in batches of the provider's size, the
    /// others one by one.
    fn calls(&self, claimed: Vec<OutboxMessage>, links: &HashMap<i64, SignedLink>) -> Vec<Call> {
        let mut calls = Vec::new();
        let mut sms = Vec::new();
        for msg in claimed {
            let own = |id: i64| own_link(links, &msg, id);
            match msg.channel.as_str() {
                "sms" => {
                    let body = resolve_links(&msg.body, own);
                    sms.push((msg, body));
                }
                "email" => {
                    let text = resolve_links(&msg.body, own);
                    let html = resolve_links(msg.html.as_deref().unwrap_or_default(), |id| {
                        own(id).map(|u| html_attribute(&u))
                    });
                    calls.push(Call::Email { msg, text, html });
                }
                "telegram" => {
                    let text = resolve_links(&msg.body, own);
                    let buttons: Vec<Vec<Button>> = msg
                        .buttons
                        .as_deref()
                        .and_then(|b| serde_json::from_str(b).ok())
                        .unwrap_or_default();
                    calls.push(Call::Chat { msg, text, buttons });
                }
                other => {
                    let e = SendError::Permanent(format!("no transport for channel {other}"));
                    calls.push(Call::Refused(msg, e));
                }
            }
        }
        let per_call = self.sms.batch_size().max(1);
        while !sms.is_empty() {
            let rest = sms.split_off(per_call.min(sms.len()));
            calls.push(Call::Sms(std::mem::replace(&mut sms, rest)));
        }
        calls
    }

    /// Makes one gateway call, an SMS once the pacer gives it a slot.
    async fn call(&self, call: Call, urgency: crate::jobs::Urgency) -> Returned {
        match call {
            Call::Sms(messages) => {
                if let Some(pacer) = &self.pacer {
                    let urgent = urgency == crate::jobs::Urgency::Urgent;
                    pacer.acquire(messages.len(), urgent).await;
                }
                let batch: Vec<OutgoingSms> = messages
                    .iter()
                    .map(|(msg, body)| OutgoingSms {
                        outbox_id: msg.id,
                        idempotency_key: &msg.idempotency_key,
                        to: &msg.recipient,
                        body,
                    })
                    .collect();
                let results = self.sms.send_all(&batch, 1).await;
                drop(batch);
                messages.into_iter().map(|(m, _)| m).zip(results).collect()
            }
            Call::Email { msg, text, html } => {
                let Some(smtp) = &self.email else {
                    let e = SendError::Temporary("no SMTP server is configured".into());
                    return vec![(msg, Err(e))];
                };
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
                vec![(msg, result)]
            }
            Call::Chat { msg, text, buttons } => {
                let result = match (self.telegram(), msg.recipient.parse::<i64>()) {
                    (None, _) => Err(SendError::Temporary("no Telegram bot is configured".into())),
                    (Some(bot), Ok(chat_id)) => bot
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
                    (Some(_), Err(_)) => {
                        Err(SendError::Permanent("the recipient is no chat id".into()))
                    }
                };
                vec![(msg, result)]
            }
            Call::Refused(msg, e) => vec![(msg, Err(e))],
        }
    }

    /// The signed address of each link, with whom and what it is for.
    async fn signed_links(
        &self,
        tx: &mut Tx,
        ids: &[i64],
    ) -> Result<HashMap<i64, SignedLink>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
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

    /// Records that this process is alive, and releases the delivery
    /// attempts of every process found dead (see the module docs), and of
    /// any attempt older than the lease. Returns how many were released.
    pub async fn release_dead_claims(&self) -> Result<u64, EngineError> {
        let now = self.clock.now();
        let me = &self.process;
        let mut tx = self.db.begin().await?;
        tx.beat(&me.id, &me.host, me.pid, now).await?;
        let dead: Vec<String> = tx
            .other_processes(&me.id)
            .await?
            .into_iter()
            .filter(|p| p.beat_at <= now - self.delivery.dead_after || me.outlived(p))
            .map(|p| p.id)
            .collect();
        let n = tx
            .release_dead_claims(&dead, now - self.delivery.lease)
            .await?;
        tx.commit().await?;
        if n > 0 || !dead.is_empty() {
            tracing::warn!(
                released = n,
                dead_processes = dead.len(),
                "delivery attempts of a dead process released, marked as possibly sent"
            );
        }
        Ok(n)
    }

    /// Whether the database answers a trivial query.
    pub async fn db_answers(&self) -> bool {
        match self.db.read().await {
            Ok(mut tx) => tx.ping().await.is_ok(),
            Err(_) => false,
        }
    }

    /// Records that this process is alive.
    pub async fn beat(&self) -> Result<(), EngineError> {
        let me = &self.process;
        let mut tx = self.db.begin().await?;
        tx.beat(&me.id, &me.host, me.pid, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes this process off the register at a clean stop; its claims
    /// were finished by then.
    pub async fn leave(&self) -> Result<(), EngineError> {
        let mut tx = self.db.begin().await?;
        tx.forget_process(&self.process.id).await?;
        tx.commit().await?;
        Ok(())
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
