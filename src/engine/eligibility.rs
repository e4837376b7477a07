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
use crate::domain::Said;
use crate::domain::eligibility::{Rules, check};
use crate::store::engine::NotificationIds;
use crate::store::seats::SeatTime;
use crate::store::{Person, Question, SeatDetails, Tx};

/// Why a person may not take a seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A rule of the election type.
    Ineligible(Ineligible),
    /// The seat is a party's, and the person is not of that party.
    NotOnTeam,
    /// The person holds a seat at the same time (this one).
    Busy(i64),
}

/// What a path asks of the person besides the election type's rules.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Meeting {
    /// Membership of the seat's team (party).
    pub same_team: bool,
    /// A seat the person leaves for this one (a swap): its time does not
    /// stand in the way.
    pub leaving: Option<i64>,
}

impl Meeting {
    pub const ANY_TEAM: Meeting = Meeting {
        same_team: false,
        leaving: None,
    };

    pub fn same_team(same_team: bool) -> Meeting {
        Meeting {
            same_team,
            leaving: None,
        }
    }
}

impl Refusal {
    /// The rule's name: `age`, `residence`, …, or `team`.
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::Ineligible(i) => i.rule(),
            Refusal::NotOnTeam => "team",
            Refusal::Busy(_) => "busy",
        }
    }
}

impl Refusal {
    /// The rule, in Danish words.
    pub fn rule_da(&self) -> &'static str {
        match self.rule() {
            "alive" => "personen er død eller forsvundet ifølge CPR",
            "age" => "personen er ikke gammel nok",
            "cpr" => "CPR-nummeret kan ikke læses",
            "residence" => "personen bor ikke i kommunen",
            "citizenship" => "personen har ikke dansk indfødsret",
            "guardianship" => "personen er umyndiggjort",
            "team" => "personen er ikke medlem af pladsens hold",
            "busy" => "personen har en anden plads på samme tid",
            _ => "valgets regler",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Ineligible(i) => i.fmt(f),
            Refusal::NotOnTeam => write!(f, "is not a member of the seat's team"),
            Refusal::Busy(seat) => write!(f, "holds seat {seat} at the same time"),
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
            person.cpr.as_ref(),
            &person.facts(),
            date,
            self.municipality_code.as_ref(),
        )
        .err())
    }

    /// Whether the person may take the seat: the rules of its election's
    /// type on its date; no seat of theirs at an overlapping time (but the
    /// one they leave); and, when the path asks, membership of its team.
    pub(crate) async fn refusal(
        &self,
        tx: &mut Tx,
        book: &mut RuleBook,
        person: &Person,
        seat: &SeatDetails,
        meeting: Meeting,
    ) -> Result<Option<Refusal>, EngineError> {
        if let Some(i) = self
            .ineligible_on(tx, book, person, seat.election_id, seat.date)
            .await?
        {
            return Ok(Some(Refusal::Ineligible(i)));
        }
        let wanted = SeatTime {
            seat_id: seat.seat_id,
            date: seat.date,
            start_time: seat.start_time,
            end_time: seat.end_time,
        };
        if let Some(held) = tx
            .seat_times_near(person.id, seat.date)
            .await?
            .into_iter()
            .filter(|h| h.seat_id != seat.seat_id && Some(h.seat_id) != meeting.leaving)
            .find(|h| h.overlaps(&wanted))
        {
            return Ok(Some(Refusal::Busy(held.seat_id)));
        }
        if meeting.same_team && !tx.is_team_member(seat.team_id, person.id).await? {
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
            &Said::new(
                format!(
                    "En person sagde ja til en plads, valgets regler ikke giver dem: {}.",
                    why.rule_da()
                ),
                format!(
                    "A person said yes to a seat the election's rules do not give them: {}.",
                    why.rule()
                ),
            ),
            now,
        )
        .await?;
        Ok(())
    }
}
