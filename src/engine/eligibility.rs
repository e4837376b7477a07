//! The one rule function for every path where a person meets a seat:
//! assignment (one and batch), standby (being put on it), choosing whom to
//! offer a seat, a yes to an offer, the stations a swap lists and the
//! station chosen. It keeps the election type's rules
//! ([`crate::domain::eligibility`]) and, where the path says so, the
//! party's claim on its seats (`same_team`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Engine, EngineError};
use crate::domain::Ineligible;
use crate::domain::eligibility::{Rules, check};
use crate::store::engine::NotificationIds;
use crate::store::{Person, Question, SeatDetails, Tx};

/// Why a person may not take a seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A rule of the election type.
    Ineligible(Ineligible),
    /// The seat is a party's, and the person is not of that party.
    NotOnTeam,
}

impl Refusal {
    /// The rule's name: `age`, `residence`, …, or `team`.
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::Ineligible(i) => i.rule(),
            Refusal::NotOnTeam => "team",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Ineligible(i) => i.fmt(f),
            Refusal::NotOnTeam => write!(f, "is not a member of the seat's team"),
        }
    }
}

/// The rules of each election an operation meets, read once.
#[derive(Debug, Default)]
pub(crate) struct RuleBook {
    rules: HashMap<i64, Rules>,
}

impl RuleBook {
    pub(crate) async fn of(&mut self, tx: &mut Tx, election_id: i64) -> Result<Rules, EngineError> {
        if let Some(r) = self.rules.get(&election_id) {
            return Ok(*r);
        }
        let rules = tx.election_rules(election_id).await?.ok_or_else(|| {
            EngineError::Invariant(format!("election {election_id} has no election type"))
        })?;
        self.rules.insert(election_id, rules);
        Ok(rules)
    }
}

impl Engine {
    /// Whether the person may hold a seat of the election on `date` (the
    /// rules of its type; standby is for a date, not a seat).
    pub(crate) async fn ineligible_on(
        &self,
        tx: &mut Tx,
        book: &mut RuleBook,
        person: &Person,
        election_id: i64,
        date: NaiveDate,
    ) -> Result<Option<Ineligible>, EngineError> {
        let rules = book.of(tx, election_id).await?;
        Ok(check(
            &rules,
            &person.cpr,
            &person.facts(),
            date,
            self.municipality_code.as_ref(),
        )
        .err())
    }

    /// Whether the person may take the seat: the rules of its election's
    /// type on its date and, when `same_team`, membership of its team.
    pub(crate) async fn refusal(
        &self,
        tx: &mut Tx,
        book: &mut RuleBook,
        person: &Person,
        seat: &SeatDetails,
        same_team: bool,
    ) -> Result<Option<Refusal>, EngineError> {
        if let Some(i) = self
            .ineligible_on(tx, book, person, seat.election_id, seat.date)
            .await?
        {
            return Ok(Some(Refusal::Ineligible(i)));
        }
        if same_team && !tx.is_team_member(seat.team_id, person.id).await? {
            return Ok(Some(Refusal::NotOnTeam));
        }
        Ok(None)
    }

    /// Tells the secretariat that a person said yes to a seat the rules
    /// would not give them.
    pub(crate) async fn tell_refused(
        &self,
        tx: &mut Tx,
        question: &Question,
        why: &Refusal,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        tx.notify_secretariat(
            "not-eligible",
            NotificationIds {
                seat: question.seat_id,
                person: Some(question.person_id),
                instance: Some(question.instance_id),
                inbound: None,
            },
            &format!(
                "A person said yes to a seat the election's rules do not give them: {}.",
                why.rule()
            ),
            now,
        )
        .await?;
        Ok(())
    }
}
