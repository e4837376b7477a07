//! Swaps the secretariat approves (`approval:` in a swap state).
//!
//! The person's choice does not move them: it closes the list, is kept as
//! a pending request (`swap_requests`), tells the secretariat, and tells
//! the person it awaits approval. The seat is not held meanwhile. When
//! the secretariat approves, the move is made as an immediate swap makes
//! it (the chosen seat claimed while still vacant, in one transaction); a
//! seat someone took meanwhile changes nothing and the person is sent the
//! stations as they are now. Refused, the instance goes to the approval's
//! `refused` state and the person keeps their seat.

use chrono::{DateTime, Utc};

use super::answer::Via;
use super::run::Running;
use super::swap::{SwapChoice, swappable};
use super::{Effects, Engine, EngineError};
use crate::domain::Language;
use crate::domain::Said;
use crate::store::engine::NotificationIds;
use crate::store::seats::HistoryEvent;
use crate::store::{Question, Tx};
use crate::workflow::{Next, Swap};

/// What a decision on a swap request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapDecision {
    /// Approved: the person moved.
    Moved,
    /// Approved, but someone took the seat first: nothing moved and the
    /// person was sent the stations free now.
    Taken,
    /// Refused: the person keeps their seat.
    Refused,
    /// Decided before, or the swap ended (the person asked again, or left
    /// the seat).
    NotPending,
    NotFound,
}

impl SwapDecision {
    pub fn as_str(&self) -> &'static str {
        match self {
            SwapDecision::Moved => "moved",
            SwapDecision::Taken => "taken",
            SwapDecision::Refused => "refused",
            SwapDecision::NotPending => "not_pending",
            SwapDecision::NotFound => "not_found",
        }
    }
}

impl Engine {
    /// Ends an instance's pending requests, and the instance if it still
    /// waits on them.
    async fn end_request(
        &self,
        mut tx: Tx,
        run: &Running,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        tx.end_swap_requests_of(run.instance.id, now).await?;
        if run.instance.status == "waiting" {
            tx.cancel_timers(run.instance.id, now).await?;
            tx.finish_instance_in(run.instance.id, &run.instance.state, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A choice of `target` in a swap that needs approval; see the
    /// module's comment.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn ask_approval(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        run: &mut Running,
        swap: &Swap,
        target: i64,
        question: Option<&Question>,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<SwapChoice, EngineError> {
        let (Some(approval), Some(old), Some(person)) =
            (&swap.approval, run.instance.seat_id, run.person.clone())
        else {
            return Ok(SwapChoice::NoLongerOpen);
        };
        let Some(target_seat) = tx.seat_details(target).await? else {
            return Ok(SwapChoice::NoLongerOpen);
        };
        if !swappable(
            run.seat.as_ref(),
            Some(&target_seat),
            person.id,
            swap.same_team,
        ) {
            return Ok(SwapChoice::NoLongerOpen);
        }
        if let Some(why) = self
            .refusal(
                tx,
                &mut super::eligibility::RuleBook::default(),
                &person,
                &target_seat,
                super::eligibility::Meeting {
                    same_team: false,
                    leaving: Some(old),
                },
            )
            .await?
        {
            return Ok(SwapChoice::NotEligible(why));
        }
        if target_seat.status != "vacant" {
            return self
                .too_late(tx, fx, run, swap, question, target_seat.station, now)
                .await;
        }
        if let Some(q) = question
            && !tx.close_question(q.id, "awaiting_approval", now).await?
        {
            return Ok(SwapChoice::NoLongerOpen);
        }
        tx.cancel_timers(run.instance.id, now).await?;
        let id = tx
            .insert_swap_request(run.instance.id, person.id, old, target, now)
            .await?;
        let detail = format!("to seat {target}");
        tx.record_history(
            &HistoryEvent {
                seat_id: old,
                person_id: Some(person.id),
                event: "swap_awaiting_approval",
                channel: Some(via.channel),
                inbound_id: via.inbound_id,
                detail: Some(&detail),
            },
            now,
        )
        .await?;
        tx.audit(
            now,
            &format!("person:{}", person.id),
            "swap.awaiting_approval",
            run.ids(),
            Some(&format!(r#"{{"request":{id},"from":{old},"to":{target}}}"#)),
        )
        .await?;
        let from = run
            .seat
            .as_ref()
            .map(|s| s.station.clone())
            .unwrap_or_default();
        tx.notify_secretariat(
            "swap-approval",
            NotificationIds {
                seat: Some(old),
                person: Some(person.id),
                instance: Some(run.instance.id),
                inbound: None,
            },
            &Said::new(
                format!(
                    "Et ønske om at skifte valgsted venter på godkendelse: fra {from} til {}.",
                    target_seat.station
                ),
                format!(
                    "Swap request {id} awaits approval: from {from} to {} (POST /api/swap-requests/{id}/approve or /refuse)",
                    target_seat.station
                ),
            ),
            now,
        )
        .await?;
        let language = Language::parse(&person.language).unwrap_or_default();
        let mut context = self.seat_context(run.seat.as_ref(), language);
        context.requested_station = target_seat.station;
        self.send_to_person(
            tx,
            fx,
            &person,
            &approval.template,
            &swap.channels,
            context,
            super::send::About {
                seat: Some(old),
                instance: Some(run.instance.id),
                ..Default::default()
            },
            now,
        )
        .await?;
        tracing::info!(
            instance_id = run.instance.id,
            request_id = id,
            "swap awaits approval"
        );
        Ok(SwapChoice::AwaitingApproval)
    }

    /// The secretariat approves or refuses a pending swap request, in one
    /// transaction with everything it causes.
    pub async fn decide_swap(
        &self,
        request_id: i64,
        approve: bool,
        actor: &str,
    ) -> Result<SwapDecision, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        let Some(request) = tx.swap_request(request_id).await? else {
            return Ok(SwapDecision::NotFound);
        };
        if request.status != "pending" {
            return Ok(SwapDecision::NotPending);
        }
        // The person's seat before the request's row, in the order a cancel
        // or a removal takes them, so the two cannot deadlock.
        let held = tx
            .lock_held_seat(request.from_seat_id, request.person_id)
            .await?;
        let mut run = self.load_running(&mut tx, request.instance_id).await?;
        let begun = run.seat.as_ref().is_none_or(|s| s.starts_at() <= now);
        let swap = match run.waiting_on() {
            Some(Next::Swap(swap)) if swap.approval.is_some() && held && !begun => swap,
            _ => {
                // Nothing left to decide: the person left the seat, asked
                // again, or the task has begun.
                self.end_request(tx, &run, now).await?;
                return Ok(SwapDecision::NotPending);
            }
        };
        let status = if approve { "approved" } else { "refused" };
        if !tx
            .decide_swap_request(request_id, status, actor, now)
            .await?
        {
            return Ok(SwapDecision::NotPending);
        }
        tx.audit(
            now,
            actor,
            &format!("swap.{status}"),
            run.ids(),
            Some(&format!(r#"{{"request":{request_id}}}"#)),
        )
        .await?;
        let via = Via {
            channel: "api",
            inbound_id: None,
            extra: None,
        };
        let decision = if approve {
            match self
                .swap_to(
                    &mut tx,
                    &mut fx,
                    &mut run,
                    &swap,
                    request.to_seat_id,
                    None,
                    via,
                    now,
                )
                .await?
            {
                SwapChoice::Moved => SwapDecision::Moved,
                SwapChoice::Taken(station) => {
                    tx.decide_taken_swap_request(request_id).await?;
                    Box::pin(self.offer_swap(
                        &mut tx,
                        &mut fx,
                        &mut run,
                        &swap,
                        Some(station),
                        now,
                    ))
                    .await?;
                    SwapDecision::Taken
                }
                _ => {
                    // The person left the seat: nothing to move.
                    drop(tx);
                    let tx = self.db.begin().await?;
                    self.end_request(tx, &run, now).await?;
                    return Ok(SwapDecision::NotPending);
                }
            }
        } else {
            let refused = swap
                .approval
                .as_ref()
                .map(|a| a.refused)
                .expect("checked above");
            Box::pin(self.enter(&mut tx, &mut fx, &mut run, refused, now)).await?;
            SwapDecision::Refused
        };
        self.commit(tx, &fx).await?;
        tracing::info!(
            request_id,
            decision = decision.as_str(),
            "swap request decided"
        );
        Ok(decision)
    }
}
