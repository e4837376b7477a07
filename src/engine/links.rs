//! Following a link from an e-mail: looking at it changes nothing (mail
//! scanners open links); acting on it answers its question, once, through
//! the same path as an SMS answer.

use chrono::{DateTime, Utc};

use super::answer::{AnswerOutcome, Via};
use super::give_up::GiveUp;
use super::swap::SwapChoice;
use super::{Effects, Engine, EngineError};
use crate::domain::{Language, LinkToken};
use crate::store::links::Link;
use crate::store::{Question, SeatDetails, Tx};
use crate::workflow::Answer;

/// What a link page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// The link can act: the page shows its button.
    Ready,
    /// It acted just now: the answer was taken.
    Done,
    /// It acted before.
    Used,
    /// Its question's deadline passed.
    Expired,
    /// Not a link this service made (mistyped, cut off, forged).
    Invalid,
    /// The question was answered another way or closed meanwhile.
    Closed,
    /// A yes to a vacant seat someone else took first.
    SeatTaken,
    /// A swap link, but no other station has a free seat like the
    /// person's now.
    NoOptions,
    /// A swap link's choice, sent to the secretariat for approval.
    AwaitingApproval,
    /// A yes from someone who does not meet the election's rules (or is
    /// not of the seat's party).
    NotEligible,
    /// A cancel (or a no about a confirmed seat) within the election's
    /// lock period: the person is to call the secretariat.
    Locked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Ready => "ready",
            LinkState::Done => "done",
            LinkState::Used => "used",
            LinkState::Expired => "expired",
            LinkState::Invalid => "invalid",
            LinkState::Closed => "closed",
            LinkState::SeatTaken => "seat_taken",
            LinkState::NoOptions => "no_options",
            LinkState::AwaitingApproval => "awaiting_approval",
            LinkState::NotEligible => "not_eligible",
            LinkState::Locked => "locked",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LinkPage {
    pub state: LinkState,
    /// `accept` or `decline`; empty for an invalid link.
    pub purpose: String,
    pub language: Language,
    /// The seat the question is about; after a swap, the new one.
    pub seat: Option<SeatDetails>,
    /// For a swap link that can act: the seats it can move the person to.
    pub options: Vec<SeatDetails>,
    /// The station the person chose a moment ago that someone else took.
    pub taken_station: Option<String>,
}

impl LinkPage {
    fn invalid() -> LinkPage {
        LinkPage {
            state: LinkState::Invalid,
            purpose: String::new(),
            language: Language::default(),
            seat: None,
            options: Vec::new(),
            taken_station: None,
        }
    }
}

impl Engine {
    /// The link's page as it stands, changing nothing.
    pub async fn look_at_link(&self, token: &str) -> Result<LinkPage, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.read().await?;
        let Some((link, question)) = self.find_link(&mut tx, token).await? else {
            return Ok(LinkPage::invalid());
        };
        let Some(question) = question else {
            return self.cancel_page(&mut tx, &link, now).await;
        };
        if link.purpose == "swap" {
            return self.swap_page(&mut tx, &link, &question, now).await;
        }
        let state = standing(&link, &question, now);
        self.page(&mut tx, &link, question.seat_id, state).await
    }

    /// Acts on the link: answers its question with its purpose, in one
    /// transaction with everything the answer causes. Racing a concurrent
    /// answer that the database settles (a yes to a seat another took),
    /// it acts again on what is then committed.
    /// `choice` is the seat chosen on a swap link's page.
    pub async fn follow_link(
        &self,
        token: &str,
        choice: Option<i64>,
    ) -> Result<LinkPage, EngineError> {
        let mut attempt = 0;
        loop {
            match self.follow_link_once(token, choice).await {
                Err(EngineError::Db(e)) if attempt < 3 && crate::store::is_unique_violation(&e) => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn follow_link_once(
        &self,
        token: &str,
        choice: Option<i64>,
    ) -> Result<LinkPage, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some((link, question)) = self.find_link(&mut tx, token).await? else {
            return Ok(LinkPage::invalid());
        };
        let Some(question) = question else {
            return self.follow_cancel_link(tx, &link, now).await;
        };
        if link.purpose == "swap" {
            return self
                .follow_swap_link(tx, &link, &question, choice, now)
                .await;
        }
        let state = standing(&link, &question, now);
        if state != LinkState::Ready {
            return self.page(&mut tx, &link, question.seat_id, state).await;
        }
        if !tx.use_link(link.id, now).await? {
            return self
                .page(&mut tx, &link, question.seat_id, LinkState::Used)
                .await;
        }
        let answer = if link.purpose == "accept" {
            Answer::Yes
        } else {
            Answer::No
        };
        let via = Via {
            channel: "email",
            inbound_id: None,
            extra: None,
        };
        let mut fx = Effects::default();
        let outcome = self
            .answer_question(&mut tx, &mut fx, &question, answer, via, now)
            .await?;
        let state = match outcome {
            AnswerOutcome::Taken => LinkState::Done,
            AnswerOutcome::SeatTaken => LinkState::SeatTaken,
            AnswerOutcome::NotEligible(why) => {
                self.tell_refused(&mut tx, &question, &why, now).await?;
                LinkState::NotEligible
            }
            AnswerOutcome::Locked => LinkState::Locked,
            AnswerOutcome::NoLongerOpen | AnswerOutcome::NotAccepted => LinkState::Closed,
        };
        tracing::info!(
            link_id = link.id,
            question_id = question.id,
            state = state.as_str(),
            "link followed"
        );
        let page = self.page(&mut tx, &link, question.seat_id, state).await?;
        self.commit(tx, &fx).await?;
        Ok(page)
    }

    /// The link a token names, when the token is one this service made for
    /// it, with its question (none for a cancel link).
    async fn find_link(
        &self,
        tx: &mut Tx,
        token: &str,
    ) -> Result<Option<(Link, Option<Question>)>, EngineError> {
        let Ok(token) = LinkToken::parse(token) else {
            return Ok(None);
        };
        let Some(link) = tx.link(token.id).await? else {
            return Ok(None);
        };
        if !self.links.key.verify(&token, &link.facts()) {
            tracing::warn!(link_id = link.id, "link with a wrong tag refused");
            return Ok(None);
        }
        let question = match link.question_id {
            Some(id) => match tx.question(id).await? {
                Some(q) => Some(q),
                None => return Ok(None),
            },
            None if link.purpose == "cancel" => None,
            None => return Ok(None),
        };
        Ok(Some((link, question)))
    }

    async fn page(
        &self,
        tx: &mut Tx,
        link: &Link,
        seat_id: Option<i64>,
        state: LinkState,
    ) -> Result<LinkPage, EngineError> {
        let language = match tx.person(link.person_id).await? {
            Some(p) => Language::parse(&p.language).unwrap_or_default(),
            None => Language::default(),
        };
        let seat = match seat_id {
            Some(id) => tx.seat_details(id).await?,
            None => None,
        };
        Ok(LinkPage {
            state,
            purpose: link.purpose.clone(),
            language,
            seat,
            options: Vec::new(),
            taken_station: None,
        })
    }

    /// A swap link's page: the stations it can move the person to now.
    async fn swap_page(
        &self,
        tx: &mut Tx,
        link: &Link,
        question: &Question,
        now: DateTime<Utc>,
    ) -> Result<LinkPage, EngineError> {
        let held = match question.seat_id {
            Some(id) => tx
                .seat_details(id)
                .await?
                .filter(|s| s.person_id == Some(link.person_id)),
            None => None,
        };
        let swap = self.swap_workflow(tx).await?.and_then(|(_, _, s)| s);
        let state = if link.used_at.is_some() {
            LinkState::Used
        } else if link.expires_at <= now {
            LinkState::Expired
        } else if held.is_none() || swap.is_none() {
            LinkState::Closed
        } else {
            LinkState::Ready
        };
        let mut page = self.page(tx, link, question.seat_id, state).await?;
        if let (LinkState::Ready, Some(seat), Some(swap)) = (state, &held, &swap) {
            let person = tx.person(link.person_id).await?;
            let options = match &person {
                Some(p) => self.swap_options(tx, p, seat.seat_id, swap).await?,
                None => Vec::new(),
            };
            for id in options {
                page.options.extend(tx.seat_details(id).await?);
            }
            if page.options.is_empty() {
                page.state = LinkState::NoOptions;
            }
        }
        Ok(page)
    }

    /// Acts on a swap link with the seat chosen on its page: moves the
    /// person there, or, when someone took that seat first, changes
    /// nothing (the link stays unused) and shows the stations as they are
    /// now.
    async fn follow_swap_link(
        &self,
        mut tx: Tx,
        link: &Link,
        question: &Question,
        choice: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<LinkPage, EngineError> {
        let page = self.swap_page(&mut tx, link, question, now).await?;
        let Some(target) = choice.filter(|_| page.state == LinkState::Ready) else {
            return Ok(page);
        };
        let Some((revision, _, Some(swap))) = self.swap_workflow(&mut tx).await? else {
            return Ok(page);
        };
        if !page.options.iter().any(|o| o.seat_id == target) {
            // Chosen from a page shown earlier: that seat is gone.
            let station = match tx.seat_details(target).await? {
                Some(s)
                    if s.status != "vacant"
                        && super::swap::swappable(
                            page.seat.as_ref(),
                            Some(&s),
                            link.person_id,
                            swap.same_team,
                        ) =>
                {
                    s.station
                }
                _ => return Ok(page),
            };
            return Ok(LinkPage {
                taken_station: Some(station),
                ..page
            });
        }
        let Some(seat_id) = question.seat_id else {
            return Ok(page);
        };
        if !tx.use_link(link.id, now).await? {
            return self
                .page(&mut tx, link, question.seat_id, LinkState::Used)
                .await;
        }
        let via = Via {
            channel: "email",
            inbound_id: None,
            extra: None,
        };
        let mut fx = Effects::default();
        // The swap the link's e-mail listed, or a new one (a link in an
        // invitation): started in its swap state without a message.
        let mut run = self.load_running(&mut tx, question.instance_id).await?;
        let answers = matches!(run.waiting_on(), Some(crate::workflow::Next::Swap(_)))
            && question.closed_at.is_none();
        let answering = answers.then_some(question);
        // Answering a swap the instance waits on: its own revision's swap.
        let swap = match run.waiting_on() {
            Some(crate::workflow::Next::Swap(own)) if answering.is_some() => own,
            _ => swap,
        };
        if answering.is_none() {
            let Some(person) = tx.person(link.person_id).await? else {
                return Ok(page);
            };
            self.end_waiting_swaps(&mut tx, seat_id, person.id, now)
                .await?;
            let seat = tx.seat_details(seat_id).await?;
            run = self
                .new_instance(&mut tx, &revision, Some(seat_id), Some(&person), seat, now)
                .await?;
        }
        let outcome = if swap.approval.is_some() {
            self.ask_approval(
                &mut tx, &mut fx, &mut run, &swap, target, answering, via, now,
            )
            .await?
        } else {
            self.swap_to(
                &mut tx, &mut fx, &mut run, &swap, target, answering, via, now,
            )
            .await?
        };
        tracing::info!(link_id = link.id, "swap link followed");
        match outcome {
            SwapChoice::Moved => {
                let mut done = self
                    .page(&mut tx, link, question.seat_id, LinkState::Done)
                    .await?;
                done.seat = run.seat.clone();
                self.commit(tx, &fx).await?;
                Ok(done)
            }
            SwapChoice::AwaitingApproval => {
                let mut page = self
                    .page(&mut tx, link, question.seat_id, LinkState::AwaitingApproval)
                    .await?;
                page.taken_station = None;
                page.options = tx.seat_details(target).await?.into_iter().collect();
                self.commit(tx, &fx).await?;
                Ok(page)
            }
            // Rolled back: the link stays unused, nothing is sent.
            SwapChoice::Taken(station) => {
                drop(tx);
                let mut tx = self.db.read().await?;
                let mut fresh = self.swap_page(&mut tx, link, question, now).await?;
                fresh.taken_station = Some(station);
                Ok(fresh)
            }
            SwapChoice::NotEligible(_) => {
                drop(tx);
                let mut tx = self.db.read().await?;
                self.page(&mut tx, link, question.seat_id, LinkState::NotEligible)
                    .await
            }
            SwapChoice::NoSuchOption | SwapChoice::NoLongerOpen => {
                drop(tx);
                let mut tx = self.db.read().await?;
                self.page(&mut tx, link, question.seat_id, LinkState::Closed)
                    .await
            }
        }
    }
}

impl Engine {
    /// A cancel link's page: the seat it gives up, while the person still
    /// holds it.
    async fn cancel_page(
        &self,
        tx: &mut Tx,
        link: &Link,
        now: DateTime<Utc>,
    ) -> Result<LinkPage, EngineError> {
        let held = match link.seat_id {
            Some(id) => tx
                .seat_details(id)
                .await?
                .filter(|s| s.person_id == Some(link.person_id) && s.status == "confirmed"),
            None => None,
        };
        let state = if link.used_at.is_some() {
            LinkState::Used
        } else if link.expires_at <= now {
            LinkState::Expired
        } else if held.is_none() {
            LinkState::Closed
        } else if held.as_ref().is_some_and(|s| s.locked_at(now)) {
            LinkState::Locked
        } else {
            LinkState::Ready
        };
        self.page(tx, link, link.seat_id, state).await
    }

    /// Acts on a cancel link: takes the person off the seat, in one
    /// transaction with the link used up, the `seat.cancelled` workflows
    /// (the shipped one confirms it and tells the secretariat) and the
    /// seat's `seat.vacated` ones (offered to standby).
    async fn follow_cancel_link(
        &self,
        mut tx: Tx,
        link: &Link,
        now: DateTime<Utc>,
    ) -> Result<LinkPage, EngineError> {
        let page = self.cancel_page(&mut tx, link, now).await?;
        let Some(seat_id) = link.seat_id.filter(|_| page.state == LinkState::Ready) else {
            return Ok(page);
        };
        // Claimed, then read again, in give_up_seat: still theirs, and
        // still confirmed (an old link does not cancel a later invitation
        // to the same seat).
        let via = Via {
            channel: "email",
            inbound_id: None,
            extra: None,
        };
        let mut fx = Effects::default();
        let closed = match self
            .give_up_seat(&mut tx, &mut fx, seat_id, link.person_id, via, now)
            .await?
        {
            GiveUp::Done => None,
            GiveUp::NotHeld => Some(LinkState::Closed),
            GiveUp::Begun => Some(LinkState::Expired),
            GiveUp::Locked => Some(LinkState::Locked),
        };
        if let Some(state) = closed {
            let page = self.page(&mut tx, link, Some(seat_id), state).await?;
            self.commit(tx, &fx).await?;
            return Ok(page);
        }
        // Rolled back when the link was used meanwhile.
        if !tx.use_link(link.id, now).await? {
            return self
                .page(&mut tx, link, Some(seat_id), LinkState::Used)
                .await;
        }
        tracing::info!(link_id = link.id, seat_id, "seat cancelled by link");
        let done = LinkPage {
            state: LinkState::Done,
            ..page
        };
        self.commit(tx, &fx).await?;
        Ok(done)
    }
}

/// Where a valid link stands before it acts.
fn standing(link: &Link, question: &Question, now: DateTime<Utc>) -> LinkState {
    if link.used_at.is_some() {
        LinkState::Used
    } else if link.expires_at <= now {
        LinkState::Expired
    } else if question.closed_at.is_some() {
        LinkState::Closed
    } else {
        LinkState::Ready
    }
}
