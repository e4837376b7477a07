//! Handling a received SMS: the reply grammar applied to the sender's open
//! questions. One transaction per message, so a retried job does nothing
//! twice.

use chrono::{DateTime, Utc};

use super::answer::{AnswerOutcome, Via};
use super::send::About;
use super::swap::SwapChoice;
use super::{Effects, Engine, EngineError};
use crate::domain::Said;
use crate::domain::{Intent, Language, PhoneNumber, Reply};
use crate::messages::{MessageContext, QuestionSummary};
use crate::store::directory::AuditIds;
use crate::store::engine::NotificationIds;
use crate::store::inbound::NewInbound;
use crate::store::{InboundMessage, Person, Question, Tx};
use crate::workflow::Answer;

/// What became of a received message (kept on the row as `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundOutcome {
    Answered,
    Clarified,
    NoOpenQuestion,
    NotAccepted,
    NoLongerOpen,
    OptedOut,
    Help,
    NotUnderstood,
    UnknownSender,
    BadSender,
    AlreadyProcessed,
    /// A yes to an offer someone else took first.
    AlreadyTaken,
    /// A yes from someone who no longer meets the election's rules.
    NotEligible,
    /// `START`: SMS again.
    OptedIn,
    /// `AFMELD`: the seat was given up.
    GaveUp,
    /// `AFMELD` (or a no) within the lock period: nothing changed.
    Locked,
    /// `AFMELD` from someone with several seats and no code naming one:
    /// they were asked which.
    WhichSeat,
    /// `AFMELD` from someone who holds no seat (or after the task began).
    NoSeatToGiveUp,
    CheckedIn,
    NoSeatToday,
    NoShowReported,
    /// A no-show report from a number that is no station's responsible.
    NotResponsible,
    UnknownSeatCode,
    /// `SKIFT`: the stations to swap to were sent (or that none is free).
    SwapRequested,
    /// `SKIFT` from someone who holds no seat, or where swapping is not
    /// offered.
    NoSeatToSwap,
    /// A choice of a station that someone else took first; the stations
    /// as they are now were sent.
    SwapTaken,
    /// `/start <token>` linked a Telegram chat.
    Linked,
    /// `/start` with a token that is used, expired or not ours.
    LinkRefused,
    /// `/stop`: the chat is no longer linked.
    Unlinked,
    /// `/status`: the seats were listed.
    Status,
    /// `/sprog`: the language was set.
    LanguageSet,
}

impl InboundOutcome {
    /// Every outcome, for the words that name them.
    pub const ALL: [InboundOutcome; 31] = [
        InboundOutcome::Answered,
        InboundOutcome::Clarified,
        InboundOutcome::NoOpenQuestion,
        InboundOutcome::NotAccepted,
        InboundOutcome::NoLongerOpen,
        InboundOutcome::OptedOut,
        InboundOutcome::Help,
        InboundOutcome::NotUnderstood,
        InboundOutcome::UnknownSender,
        InboundOutcome::BadSender,
        InboundOutcome::AlreadyProcessed,
        InboundOutcome::AlreadyTaken,
        InboundOutcome::NotEligible,
        InboundOutcome::OptedIn,
        InboundOutcome::GaveUp,
        InboundOutcome::Locked,
        InboundOutcome::WhichSeat,
        InboundOutcome::NoSeatToGiveUp,
        InboundOutcome::CheckedIn,
        InboundOutcome::NoSeatToday,
        InboundOutcome::NoShowReported,
        InboundOutcome::NotResponsible,
        InboundOutcome::UnknownSeatCode,
        InboundOutcome::SwapRequested,
        InboundOutcome::NoSeatToSwap,
        InboundOutcome::SwapTaken,
        InboundOutcome::Linked,
        InboundOutcome::LinkRefused,
        InboundOutcome::Unlinked,
        InboundOutcome::Status,
        InboundOutcome::LanguageSet,
    ];

    /// The outcomes a person may need the secretariat for: the engine
    /// could not place the message, or refused what it asked.
    pub const NEEDS_ATTENTION: [InboundOutcome; 9] = [
        InboundOutcome::NotUnderstood,
        InboundOutcome::UnknownSender,
        InboundOutcome::BadSender,
        InboundOutcome::NoOpenQuestion,
        InboundOutcome::NotAccepted,
        InboundOutcome::NoLongerOpen,
        InboundOutcome::UnknownSeatCode,
        InboundOutcome::NotResponsible,
        InboundOutcome::LinkRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InboundOutcome::Answered => "answered",
            InboundOutcome::Clarified => "clarified",
            InboundOutcome::NoOpenQuestion => "no-open-question",
            InboundOutcome::NotAccepted => "not-accepted",
            InboundOutcome::NoLongerOpen => "no-longer-open",
            InboundOutcome::OptedOut => "opted-out",
            InboundOutcome::Help => "help",
            InboundOutcome::NotUnderstood => "not-understood",
            InboundOutcome::UnknownSender => "unknown-sender",
            InboundOutcome::BadSender => "bad-sender",
            InboundOutcome::AlreadyProcessed => "already-processed",
            InboundOutcome::AlreadyTaken => "already-taken",
            InboundOutcome::NotEligible => "not-eligible",
            InboundOutcome::OptedIn => "opted-in",
            InboundOutcome::GaveUp => "gave-up",
            InboundOutcome::Locked => "locked",
            InboundOutcome::WhichSeat => "which-seat",
            InboundOutcome::NoSeatToGiveUp => "no-seat-to-give-up",
            InboundOutcome::CheckedIn => "checked-in",
            InboundOutcome::NoSeatToday => "no-seat-today",
            InboundOutcome::NoShowReported => "no-show-reported",
            InboundOutcome::NotResponsible => "not-responsible",
            InboundOutcome::UnknownSeatCode => "unknown-seat-code",
            InboundOutcome::SwapRequested => "swap-requested",
            InboundOutcome::NoSeatToSwap => "no-seat-to-swap",
            InboundOutcome::SwapTaken => "swap-taken",
            InboundOutcome::Linked => "linked",
            InboundOutcome::LinkRefused => "link-refused",
            InboundOutcome::Unlinked => "unlinked",
            InboundOutcome::Status => "status",
            InboundOutcome::LanguageSet => "language-set",
        }
    }
}

/// A reply to the sender: always where they wrote from (the number, by
/// SMS, also after STOP: they wrote to us; or the Telegram chat), in the
/// language of the first person on that number or chat.
pub(super) struct ReplyTo<'a> {
    /// `sms` or `telegram`.
    pub channel: &'static str,
    /// The phone number or the chat id.
    pub address: String,
    pub person: Option<&'a Person>,
}

impl Engine {
    /// The front door for every received SMS: stores it and queues its
    /// handling in one transaction, and returns at once. A message id the
    /// provider delivered before is ignored (`Ok(None)`): gateways retry.
    pub async fn receive_sms(&self, m: &NewInbound<'_>) -> Result<Option<i64>, EngineError> {
        let mut tx = self.db.begin().await?;
        let Some(id) = tx.insert_inbound(m, self.clock.now()).await? else {
            return Ok(None);
        };
        crate::jobs::push(
            &mut tx,
            crate::jobs::INBOUND_QUEUE,
            &[(
                crate::jobs::HandleInbound { inbound_id: id },
                Some(format!("inbound:{id}")),
            )],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(inbound_id = id, provider = m.provider, "message received");
        Ok(Some(id))
    }

    /// Handles a received message in one transaction. Should a concurrent
    /// answer win a race the database settles (two people's yes for one
    /// seat, one person's yes for two seats that day), the transaction is
    /// rolled back and the message handled again on what is now committed.
    pub async fn process_inbound(
        &self,
        inbound_id: i64,
    ) -> Result<(InboundOutcome, Effects), EngineError> {
        let mut attempt = 0;
        loop {
            match self.process_inbound_once(inbound_id).await {
                Err(EngineError::Db(e)) if attempt < 3 && crate::store::is_unique_violation(&e) => {
                    attempt += 1;
                    tracing::info!(
                        inbound_id,
                        attempt,
                        "inbound handling raced; handling again"
                    );
                }
                other => return other,
            }
        }
    }

    async fn process_inbound_once(
        &self,
        inbound_id: i64,
    ) -> Result<(InboundOutcome, Effects), EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut fx = Effects::default();
        let Some(msg) = tx.inbound(inbound_id).await? else {
            return Ok((InboundOutcome::AlreadyProcessed, fx));
        };
        if msg.processed_at.is_some() {
            return Ok((InboundOutcome::AlreadyProcessed, fx));
        }
        let outcome = self.handle(&mut tx, &mut fx, &msg, now).await?;
        tx.mark_inbound_processed(inbound_id, outcome.as_str(), now)
            .await?;
        self.commit(tx, &fx).await?;
        Ok((outcome, fx))
    }

    async fn handle(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        msg: &InboundMessage,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        if msg.provider == "telegram" {
            return self.handle_chat(tx, fx, msg, now).await;
        }
        let Ok(phone) = PhoneNumber::parse(&msg.sender) else {
            return Ok(InboundOutcome::BadSender);
        };
        let people = tx.people_by_phone(&phone).await?;
        let reply = Reply::parse(&msg.body);
        let to = ReplyTo {
            channel: "sms",
            address: phone.as_e164().to_string(),
            person: people.first(),
        };
        if people.is_empty() {
            self.reply(
                tx,
                fx,
                &to,
                "unknown_sender",
                MessageContext::new(&self.contact),
                now,
            )
            .await?;
            return Ok(InboundOutcome::UnknownSender);
        }
        self.answer(tx, fx, msg, &reply, &people, &to, now).await
    }

    /// The reply grammar applied to what one of `people` (who share the
    /// phone or chat it came from; at least one) wrote.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn answer(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        msg: &InboundMessage,
        reply: &Reply,
        people: &[Person],
        to: &ReplyTo<'_>,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let Some(first) = people.first() else {
            return Ok(InboundOutcome::UnknownSender);
        };
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        let actor = format!("person:{}", first.id);
        match reply.intent {
            Intent::OptOut if to.channel == "telegram" => self.stop_chat(tx, fx, to, now).await,
            Intent::OptOut | Intent::OptIn if to.channel == "telegram" => {
                self.reply(tx, fx, to, "help", MessageContext::new(&self.contact), now)
                    .await?;
                Ok(InboundOutcome::Help)
            }
            Intent::OptOut | Intent::OptIn => {
                let stop = reply.intent == Intent::OptOut;
                self.sms_consent(tx, fx, to, &ids, stop, Some(msg.id), now)
                    .await
            }
            Intent::GiveUp => {
                let via = Via {
                    channel: to.channel,
                    inbound_id: Some(msg.id),
                    extra: reply.extra.as_deref(),
                };
                self.give_up_by_message(tx, fx, to, reply, people, via, now)
                    .await
            }
            Intent::Help => {
                self.reply(tx, fx, to, "help", MessageContext::new(&self.contact), now)
                    .await?;
                Ok(InboundOutcome::Help)
            }
            Intent::CheckIn => {
                let today = local_today(now);
                let via = Via {
                    channel: to.channel,
                    inbound_id: Some(msg.id),
                    extra: None,
                };
                let seats = self.check_in_on(tx, &ids, today, via, now).await?;
                let Some(seat) = seats.first() else {
                    self.reply(
                        tx,
                        fx,
                        to,
                        "check_in_no_seat",
                        MessageContext::new(&self.contact),
                        now,
                    )
                    .await?;
                    return Ok(InboundOutcome::NoSeatToday);
                };
                self.reply_about_seat(tx, fx, to, "checked_in", Some(*seat), now)
                    .await?;
                Ok(InboundOutcome::CheckedIn)
            }
            Intent::NoShow => {
                let stations = tx.stations_run_by(&ids).await?;
                if stations.is_empty() {
                    tx.audit(
                        now,
                        &actor,
                        "no_show.refused",
                        AuditIds::default(),
                        Some(&format!(r#"{{"inbound":{}}}"#, msg.id)),
                    )
                    .await?;
                    self.reply(
                        tx,
                        fx,
                        to,
                        "no_show_refused",
                        MessageContext::new(&self.contact),
                        now,
                    )
                    .await?;
                    return Ok(InboundOutcome::NotResponsible);
                }
                let today = local_today(now);
                let mut seat = None;
                if let Some(code) = &reply.code {
                    for station in &stations {
                        if let Some(s) = tx.seat_by_code(*station, today, code.as_str()).await? {
                            seat = Some(s);
                            break;
                        }
                    }
                }
                let mut context = MessageContext::new(&self.contact);
                context.seat_code = reply
                    .code
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                let Some(seat) = seat.filter(|s| s.person_id.is_some()) else {
                    self.reply(tx, fx, to, "no_show_unknown_seat", context, now)
                        .await?;
                    return Ok(InboundOutcome::UnknownSeatCode);
                };
                let via = Via {
                    channel: to.channel,
                    inbound_id: Some(msg.id),
                    extra: reply.extra.as_deref(),
                };
                self.no_show_in(tx, fx, seat.id, &actor, Some(via), None, now)
                    .await?;
                self.reply_about_seat(tx, fx, to, "no_show_received", Some(seat.id), now)
                    .await?;
                Ok(InboundOutcome::NoShowReported)
            }
            Intent::Swap | Intent::Choose => {
                let open = self.open_questions_of(tx, &ids).await?;
                let mut swaps = Vec::new();
                for (q, seat) in &open {
                    if tx.is_swap_question(q.id).await? {
                        swaps.push((q.clone(), seat.clone()));
                    }
                }
                let via = Via {
                    channel: to.channel,
                    inbound_id: Some(msg.id),
                    extra: reply.extra.as_deref(),
                };
                if let Some(n) = reply.choice
                    && !swaps.is_empty()
                {
                    return self
                        .swap_choice(tx, fx, to, reply, &swaps, n, via, now)
                        .await;
                }
                if reply.intent == Intent::Choose {
                    return self.not_understood(tx, fx, to, msg, &open, now).await;
                }
                // The seat a code names (of a question about it), or the
                // soonest seat the sender holds.
                let seats = tx.upcoming_seats_of(&ids, local_today(now)).await?;
                let named = reply.code.as_ref().and_then(|c| {
                    open.iter()
                        .find(|(q, _)| q.code == c.as_str())
                        .and_then(|(q, _)| q.seat_id)
                });
                let seat = named
                    .and_then(|id| seats.iter().find(|s| s.id == id))
                    .or(seats.first());
                let holder = seat.and_then(|s| people.iter().find(|p| Some(p.id) == s.person_id));
                let started = match (seat, holder) {
                    (Some(seat), Some(person)) => {
                        self.request_swap(tx, fx, person, seat.id, via, now).await?
                    }
                    _ => false,
                };
                if !started {
                    self.reply(
                        tx,
                        fx,
                        to,
                        "swap_not_possible",
                        MessageContext::new(&self.contact),
                        now,
                    )
                    .await?;
                    return Ok(InboundOutcome::NoSeatToSwap);
                }
                Ok(InboundOutcome::SwapRequested)
            }
            Intent::Unknown => {
                let open = self.open_questions_of(tx, &ids).await?;
                self.not_understood(tx, fx, to, msg, &open, now).await
            }
            Intent::Accept | Intent::Decline => {
                let answer = if reply.intent == Intent::Accept {
                    Answer::Yes
                } else {
                    Answer::No
                };
                let open = self.open_questions_of(tx, &ids).await?;
                let chosen = match &reply.code {
                    Some(code) => open.iter().find(|(q, _)| q.code == code.as_str()),
                    None if open.len() == 1 => open.first(),
                    None => None,
                };
                let Some((question, _)) = chosen else {
                    // A yes to an offer that someone else took since.
                    if answer == Answer::Yes
                        && (open.is_empty() || reply.code.is_some())
                        && let Some(taken) = tx
                            .taken_offer(
                                &ids,
                                reply.code.as_ref().map(|c| c.as_str()),
                                now - chrono::Duration::days(7),
                            )
                            .await?
                    {
                        self.reply_about_seat(tx, fx, to, "offer_taken", taken.seat_id, now)
                            .await?;
                        return Ok(InboundOutcome::AlreadyTaken);
                    }
                    if open.is_empty() {
                        self.reply(
                            tx,
                            fx,
                            to,
                            "no_open_question",
                            MessageContext::new(&self.contact),
                            now,
                        )
                        .await?;
                        return Ok(InboundOutcome::NoOpenQuestion);
                    }
                    return self.clarify(tx, fx, to, reply, &open, now).await;
                };
                let via = Via {
                    channel: to.channel,
                    inbound_id: Some(msg.id),
                    extra: reply.extra.as_deref(),
                };
                let outcome = self
                    .answer_question(tx, fx, question, answer, via, now)
                    .await?;
                match outcome {
                    AnswerOutcome::Taken => {
                        if reply.extra.is_some() {
                            tx.notify_secretariat(
                                "answer-with-comment",
                                NotificationIds {
                                    seat: question.seat_id,
                                    person: Some(question.person_id),
                                    instance: Some(question.instance_id),
                                    inbound: Some(msg.id),
                                },
                                &Said::new(
                                    "Et svar kom med en kommentar; læs den i pladsens historik.",
                                    "An answer came with a comment; read it in the seat's history.",
                                ),
                                now,
                            )
                            .await?;
                        }
                        Ok(InboundOutcome::Answered)
                    }
                    AnswerOutcome::NoLongerOpen => {
                        self.reply(
                            tx,
                            fx,
                            to,
                            "no_open_question",
                            MessageContext::new(&self.contact),
                            now,
                        )
                        .await?;
                        Ok(InboundOutcome::NoLongerOpen)
                    }
                    AnswerOutcome::SeatTaken => {
                        self.reply_about_seat(tx, fx, to, "offer_taken", question.seat_id, now)
                            .await?;
                        Ok(InboundOutcome::AlreadyTaken)
                    }
                    AnswerOutcome::NotEligible(why) => {
                        self.refused(tx, fx, to, question, &why, now).await?;
                        Ok(InboundOutcome::NotEligible)
                    }
                    AnswerOutcome::Locked => {
                        self.reply_about_seat(tx, fx, to, "give_up_locked", question.seat_id, now)
                            .await?;
                        Ok(InboundOutcome::Locked)
                    }
                    AnswerOutcome::NotAccepted => {
                        let mut context = MessageContext::new(&self.contact);
                        context.code = question.code.clone();
                        context.answer = if answer == Answer::Yes {
                            "JA".into()
                        } else {
                            "NEJ".into()
                        };
                        self.reply(tx, fx, to, "not_accepted", context, now).await?;
                        Ok(InboundOutcome::NotAccepted)
                    }
                }
            }
        }
    }

    /// Asks which question an answer is for, listing the open ones (and
    /// naming a code that matched none).
    async fn clarify(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        reply: &Reply,
        open: &[(Question, Option<crate::store::SeatDetails>)],
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let mut context = MessageContext::new(&self.contact);
        context.unknown_code = reply
            .code
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let language = to
            .person
            .and_then(|p| Language::parse(&p.language))
            .unwrap_or_default();
        context.questions = open
            .iter()
            .map(|(q, s)| summary(q, s.as_ref(), language))
            .collect();
        self.reply(tx, fx, to, "clarification", context, now)
            .await?;
        Ok(InboundOutcome::Clarified)
    }

    /// A message that is no answer: the sender is told how to answer and
    /// the secretariat gets it to read.
    pub(super) async fn not_understood(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        msg: &InboundMessage,
        open: &[(Question, Option<crate::store::SeatDetails>)],
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let mut context = MessageContext::new(&self.contact);
        if let Some((q, _)) = open.first() {
            context.code = q.code.clone();
        }
        self.reply(tx, fx, to, "not_understood", context, now)
            .await?;
        tx.notify_secretariat(
            "not-understood",
            NotificationIds {
                person: to.person.map(|p| p.id),
                inbound: Some(msg.id),
                ..Default::default()
            },
            &Said::new(
                "En besked, der ikke er et svar, er kommet; læs den under Indgående.",
                "A message that is not an answer arrived; read it under Inbound.",
            ),
            now,
        )
        .await?;
        Ok(InboundOutcome::NotUnderstood)
    }

    /// A station chosen by its number (`K7 2`) among the open swap
    /// questions of the sender.
    #[allow(clippy::too_many_arguments)]
    async fn swap_choice(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        reply: &Reply,
        swaps: &[(Question, Option<crate::store::SeatDetails>)],
        n: u8,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<InboundOutcome, EngineError> {
        let chosen = match &reply.code {
            Some(code) => swaps.iter().find(|(q, _)| q.code == code.as_str()),
            None if swaps.len() == 1 => swaps.first(),
            None => None,
        };
        let Some((question, _)) = chosen else {
            return self.clarify(tx, fx, to, reply, swaps, now).await;
        };
        match self
            .choose_swap(tx, fx, question, i64::from(n), via, now)
            .await?
        {
            SwapChoice::Moved | SwapChoice::AwaitingApproval => Ok(InboundOutcome::Answered),
            SwapChoice::Taken(_) => Ok(InboundOutcome::SwapTaken),
            SwapChoice::NotEligible(why) => {
                self.refused(tx, fx, to, question, &why, now).await?;
                Ok(InboundOutcome::NotEligible)
            }
            SwapChoice::NoSuchOption => {
                let mut context = MessageContext::new(&self.contact);
                context.code = question.code.clone();
                context.answer = n.to_string();
                self.reply(tx, fx, to, "swap_no_such_option", context, now)
                    .await?;
                Ok(InboundOutcome::NotAccepted)
            }
            SwapChoice::NoLongerOpen => {
                self.reply(
                    tx,
                    fx,
                    to,
                    "no_open_question",
                    MessageContext::new(&self.contact),
                    now,
                )
                .await?;
                Ok(InboundOutcome::NoLongerOpen)
            }
        }
    }

    /// Open questions of these people with the seat each is about.
    pub(super) async fn open_questions_of(
        &self,
        tx: &mut Tx,
        person_ids: &[i64],
    ) -> Result<Vec<(Question, Option<crate::store::SeatDetails>)>, EngineError> {
        let mut out = Vec::new();
        for id in person_ids {
            for q in tx.open_questions(*id).await? {
                let seat = match q.seat_id {
                    Some(s) => tx.seat_details(s).await?,
                    None => None,
                };
                out.push((q, seat));
            }
        }
        Ok(out)
    }

    /// A yes the rules refused: the person is told which rule, and the
    /// secretariat is told too.
    pub(super) async fn refused(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        question: &Question,
        why: &super::Refusal,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let mut context = self.reply_context(tx, to, question.seat_id).await?;
        context.rule = why.rule().to_string();
        self.reply(tx, fx, to, "not_eligible", context, now).await?;
        self.tell_refused(tx, question, why, now).await
    }

    /// A reply that names a seat (its station, task type, code).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn reply_about_seat(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        template: &str,
        seat_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let context = self.reply_context(tx, to, seat_id).await?;
        self.reply(tx, fx, to, template, context, now).await
    }

    /// The placeholders of a reply about a seat, in the sender's language.
    async fn reply_context(
        &self,
        tx: &mut Tx,
        to: &ReplyTo<'_>,
        seat_id: Option<i64>,
    ) -> Result<MessageContext, EngineError> {
        let seat = match seat_id {
            Some(id) => tx.seat_details(id).await?,
            None => None,
        };
        let language = to
            .person
            .and_then(|p| Language::parse(&p.language))
            .unwrap_or_default();
        Ok(self.seat_context(seat.as_ref(), language))
    }

    pub(super) async fn reply(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        to: &ReplyTo<'_>,
        template: &str,
        mut context: MessageContext,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let language = to
            .person
            .and_then(|p| Language::parse(&p.language))
            .unwrap_or_default();
        if let Some(p) = to.person {
            context.name = p.name.clone();
        }
        // Two auto-responders must not keep each other texting: the
        // answers that are not about anything the sender holds are
        // limited per address and hour.
        if AUTOMATIC.contains(&template)
            && tx
                .sent_to_since(&to.address, &AUTOMATIC, now - chrono::Duration::hours(1))
                .await?
                >= AUTOMATIC_PER_HOUR
        {
            tx.audit(
                now,
                "system",
                "reply.suppressed",
                crate::store::directory::AuditIds {
                    person: to.person.map(|p| p.id),
                    ..Default::default()
                },
                Some(&format!(r#"{{"template":"{template}"}}"#)),
            )
            .await?;
            return Ok(());
        }
        self.send_rendered(
            tx,
            fx,
            to.person.map(|p| p.id),
            to.channel,
            &to.address,
            template,
            language,
            &context,
            About::default(),
            None,
            now,
        )
        .await
    }
}

/// The answers sent whatever the text was: limited per address and hour.
const AUTOMATIC: [&str; 3] = ["unknown_sender", "not_understood", "no_open_question"];
/// How many of them one address gets in an hour.
const AUTOMATIC_PER_HOUR: i64 = 3;

pub(super) use crate::clock::local_today;

fn summary(
    q: &Question,
    seat: Option<&crate::store::SeatDetails>,
    language: Language,
) -> QuestionSummary {
    QuestionSummary {
        code: q.code.clone(),
        station: seat.map(|s| s.station.clone()).unwrap_or_default(),
        task_type: seat.map(|s| s.task_type.clone()).unwrap_or_default(),
        date: seat
            .map(|s| crate::messages::format_short_date(s.date, language))
            .unwrap_or_default(),
    }
}
