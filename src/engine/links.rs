//! Following a link from an e-mail: looking at it changes nothing (mail
//! scanners open links); acting on it answers its question, once, through
//! the same path as an SMS answer.

use chrono::{DateTime, Utc};

use super::answer::{AnswerOutcome, Via};
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
        }
    }
}

#[derive(Debug, Clone)]
pub struct LinkPage {
    pub state: LinkState,
    /// `accept` or `decline`; empty for an invalid link.
    pub purpose: String,
    pub language: Language,
    pub seat: Option<SeatDetails>,
}

impl LinkPage {
    fn invalid() -> LinkPage {
        LinkPage {
            state: LinkState::Invalid,
            purpose: String::new(),
            language: Language::default(),
            seat: None,
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
        let state = standing(&link, &question, now);
        self.page(&mut tx, &link, &question, state).await
    }

    /// Acts on the link: answers its question with its purpose, in one
    /// transaction with everything the answer causes. Racing a concurrent
    /// answer that the database settles (a yes to a seat another took),
    /// it acts again on what is then committed.
    pub async fn follow_link(&self, token: &str) -> Result<LinkPage, EngineError> {
        let mut attempt = 0;
        loop {
            match self.follow_link_once(token).await {
                Err(EngineError::Db(e)) if attempt < 3 && crate::store::is_unique_violation(&e) => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn follow_link_once(&self, token: &str) -> Result<LinkPage, EngineError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some((link, question)) = self.find_link(&mut tx, token).await? else {
            return Ok(LinkPage::invalid());
        };
        let state = standing(&link, &question, now);
        if state != LinkState::Ready {
            return self.page(&mut tx, &link, &question, state).await;
        }
        if !tx.use_link(link.id, now).await? {
            return self.page(&mut tx, &link, &question, LinkState::Used).await;
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
            AnswerOutcome::NoLongerOpen | AnswerOutcome::NotAccepted => LinkState::Closed,
        };
        tracing::info!(
            link_id = link.id,
            question_id = question.id,
            state = state.as_str(),
            "link followed"
        );
        let page = self.page(&mut tx, &link, &question, state).await?;
        self.commit(tx, &fx).await?;
        Ok(page)
    }

    /// The link a token names, when the token is one this service made for
    /// it, with its question.
    async fn find_link(
        &self,
        tx: &mut Tx,
        token: &str,
    ) -> Result<Option<(Link, Question)>, EngineError> {
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
        let Some(question) = tx.question(link.question_id).await? else {
            return Ok(None);
        };
        Ok(Some((link, question)))
    }

    async fn page(
        &self,
        tx: &mut Tx,
        link: &Link,
        question: &Question,
        state: LinkState,
    ) -> Result<LinkPage, EngineError> {
        let language = match tx.person(link.person_id).await? {
            Some(p) => Language::parse(&p.language).unwrap_or_default(),
            None => Language::default(),
        };
        let seat = match question.seat_id {
            Some(id) => tx.seat_details(id).await?,
            None => None,
        };
        Ok(LinkPage {
            state,
            purpose: link.purpose.clone(),
            language,
            seat,
        })
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
