//! Events that move a waiting instance on: an answer, a reminder, a timeout.

use chrono::{DateTime, Utc};

use super::run::Running;
use super::send::{About, LinkPurposes};
use super::{Effects, Engine, EngineError};
use crate::domain::Said;
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;
use crate::store::seats::HistoryEvent;
use crate::store::{Question, Tx};
use crate::workflow::{Answer, Next};

/// Where an answer came from.
#[derive(Debug, Clone, Copy)]
pub struct Via<'a> {
    /// `sms`, `email`, `telegram`, `api`.
    pub channel: &'a str,
    pub inbound_id: Option<i64>,
    /// Words the person wrote beside the answer.
    pub extra: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// The instance moved on.
    Taken,
    /// The question was closed already (answered, timed out).
    NoLongerOpen,
    /// The question does not take this answer; nothing changed.
    NotAccepted,
    /// A yes to an offer that someone else took first; the person stays
    /// on standby.
    SeatTaken,
    /// A yes to an offer from someone who no longer meets the rules (or
    /// is no longer of the seat's party); nothing changed but the offer,
    /// which is closed.
    NotEligible(super::Refusal),
    /// A no about a seat the person holds confirmed, within the lock
    /// period: nothing changed; the secretariat is told.
    Locked,
}

impl Engine {
    /// Applies an answer to an open question, inside the caller's transaction.
    pub(crate) async fn answer_question(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        question: &Question,
        answer: Answer,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<AnswerOutcome, EngineError> {
        let mut run = self.load_running(tx, question.instance_id).await?;
        let ask = match run.waiting_on() {
            Some(Next::Ask(ask)) => ask,
            Some(Next::Offer(offer)) => {
                return self
                    .answer_offer(tx, fx, run, &offer, question, answer, via, now)
                    .await;
            }
            // A yes does not say which station; a no keeps the seat.
            Some(Next::Swap(swap)) => {
                if answer == Answer::Yes {
                    return Ok(AnswerOutcome::NotAccepted);
                }
                if !tx.close_question(question.id, "no", now).await? {
                    return Ok(AnswerOutcome::NoLongerOpen);
                }
                tx.cancel_timers(run.instance.id, now).await?;
                self.enter(tx, fx, &mut run, swap.kept, now).await?;
                return Ok(AnswerOutcome::Taken);
            }
            // An offer whose instance has moved on: the seat was filled.
            _ if question.kind == "offer" => {
                tx.close_question(question.id, "taken", now).await?;
                return Ok(AnswerOutcome::SeatTaken);
            }
            _ => return Ok(AnswerOutcome::NoLongerOpen),
        };
        let Some(target) = ask.target(answer) else {
            return Ok(AnswerOutcome::NotAccepted);
        };
        // A no may give up a confirmed seat: not within the lock period.
        if answer == Answer::No
            && let Some(seat) = run.seat.clone()
            && seat.status == "confirmed"
            && seat.person_id == Some(question.person_id)
            && seat.locked_at(now)
        {
            self.tell_locked(tx, &seat, question.person_id, via, now)
                .await?;
            return Ok(AnswerOutcome::Locked);
        }
        if !tx.close_question(question.id, answer.as_str(), now).await? {
            return Ok(AnswerOutcome::NoLongerOpen);
        }
        tx.cancel_timers(run.instance.id, now).await?;
        if let Some(seat_id) = question.seat_id {
            tx.record_history(
                &HistoryEvent {
                    seat_id,
                    person_id: Some(question.person_id),
                    event: match answer {
                        Answer::Yes => "answered_yes",
                        Answer::No => "answered_no",
                    },
                    channel: Some(via.channel),
                    inbound_id: via.inbound_id,
                    detail: via.extra,
                },
                now,
            )
            .await?;
        }
        tx.audit(
            now,
            &format!("person:{}", question.person_id),
            "question.answered",
            AuditIds {
                seat: question.seat_id,
                person: Some(question.person_id),
                instance: Some(run.instance.id),
            },
            Some(&format!(
                r#"{{"question":{},"answer":"{}","channel":"{}"}}"#,
                question.id,
                answer.as_str(),
                via.channel
            )),
        )
        .await?;
        self.enter(tx, fx, &mut run, target, now).await?;
        Ok(AnswerOutcome::Taken)
    }

    /// Fires one due timer, in its own transaction. A timer whose question
    /// was answered meanwhile, or that fired already, does nothing: the job
    /// backends cannot cancel a queued job, so the state decides.
    pub async fn fire_timer(&self, timer_id: i64) -> Result<Effects, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        let Some(timer) = tx.timer(timer_id).await? else {
            return Ok(fx);
        };
        // Queued just before its election was deactivated: it waits, and
        // the ticker queues it again once the election is active.
        if timer.due_at > now
            || tx.instance_waits_for_activation(timer.instance_id).await?
            || !tx.fire_timer(timer_id, now).await?
        {
            return Ok(fx);
        }
        if timer.kind == "wave" {
            let mut run = self.load_running(&mut tx, timer.instance_id).await?;
            let Some(Next::Offer(offer)) = run.waiting_on() else {
                tx.commit().await?;
                return Ok(fx);
            };
            self.offer_wave(&mut tx, &mut fx, &mut run, &offer, now)
                .await?;
            self.commit(tx, &fx).await?;
            return Ok(fx);
        }
        let question = match timer.question_id {
            Some(q) => tx.question(q).await?,
            None => None,
        };
        let Some(question) = question.filter(|q| q.closed_at.is_none()) else {
            tx.commit().await?;
            return Ok(fx);
        };
        let mut run = self.load_running(&mut tx, timer.instance_id).await?;
        let ask = match run.waiting_on() {
            Some(Next::Ask(ask)) => ask,
            // Nobody chose a station in time: the person keeps their seat.
            Some(Next::Swap(swap)) if timer.kind == "timeout" => {
                tx.close_question(question.id, "timed_out", now).await?;
                tx.cancel_timers(run.instance.id, now).await?;
                self.enter(&mut tx, &mut fx, &mut run, swap.kept, now)
                    .await?;
                self.commit(tx, &fx).await?;
                return Ok(fx);
            }
            _ => {
                tx.commit().await?;
                return Ok(fx);
            }
        };
        match timer.kind.as_str() {
            "remind" => {
                self.remind(&mut tx, &mut fx, &mut run, &ask, &question, now)
                    .await?
            }
            _ => {
                let Some(timeout) = &ask.timeout else {
                    tx.commit().await?;
                    return Ok(fx);
                };
                tx.close_question(question.id, "timed_out", now).await?;
                tx.cancel_timers(run.instance.id, now).await?;
                let starts = run.seat.as_ref().map(|s| s.starts_at());
                if timeout.due(question.opened_at, starts, run.tz).1 {
                    tx.notify_secretariat(
                        "cut-short",
                        NotificationIds {
                            seat: question.seat_id,
                            person: Some(question.person_id),
                            instance: Some(run.instance.id),
                            inbound: None,
                        },
                        &Said::new(
                            "Spørgsmålet blev ikke besvaret, og svarfristen blev forkortet, så den udløber, før opgaven begynder.",
                            "The question was not answered, and its time was cut short so that it ends before the task starts.",
                        ),
                        now,
                    )
                    .await?;
                }
                if let Some(seat_id) = question.seat_id {
                    tx.record_history(
                        &HistoryEvent {
                            seat_id,
                            person_id: Some(question.person_id),
                            event: "unanswered",
                            channel: None,
                            inbound_id: None,
                            detail: None,
                        },
                        now,
                    )
                    .await?;
                }
                self.enter(&mut tx, &mut fx, &mut run, timeout.goto, now)
                    .await?;
            }
        }
        self.commit(tx, &fx).await?;
        Ok(fx)
    }

    async fn remind(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        ask: &crate::workflow::Ask,
        question: &Question,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Some(remind) = &ask.remind else {
            return Ok(());
        };
        let Some(person) = run.person.clone() else {
            return Ok(());
        };
        let language = crate::domain::Language::parse(&person.language).unwrap_or_default();
        let mut context = self.seat_context(run.seat.as_ref(), language);
        context.code = question.code.clone();
        let starts = run.seat.as_ref().map(|s| s.starts_at());
        let timeout_at = ask
            .timeout
            .as_ref()
            .map(|t| t.due(question.opened_at, starts, run.tz).0);
        let about = About {
            seat: run.instance.seat_id,
            instance: Some(run.instance.id),
            question: Some(question.id),
            deadline: Some(timeout_at.unwrap_or_else(|| run.seat_day_end(now))),
            links: LinkPurposes::for_ask(ask, run.holds_seat()),
            fallback_of: None,
            task_ends: run.seat.as_ref().map(|s| s.ends_at()),
        };
        self.send_to_person(
            tx,
            fx,
            &person,
            &remind.template,
            &ask.channels,
            context,
            about,
            now,
        )
        .await?;
        tx.count_reminder(run.instance.id, now).await?;
        let sent = run.instance.reminders_sent + 1;
        let next = remind.every.after(now, run.tz);
        let more = remind.max.is_none_or(|max| (sent as u32) < max);
        if more && timeout_at.is_none_or(|t| next < t) {
            tx.insert_timer(run.instance.id, Some(question.id), "remind", next)
                .await?;
        }
        Ok(())
    }
}
