//! The compiled form of a workflow definition: what the engine runs.
//!
//! A workflow is a state machine. Entering a state runs its `do` steps in
//! order, then the state either waits for an answer (`ask`), moves on at once
//! (`goto`), or ends the instance (neither). States are addressed by index
//! into [`Workflow::states`]; the names are kept for audit and diagnostics.

use std::fmt;

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Index of a state in [`Workflow::states`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateId(pub usize);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    pub description: Option<String>,
    pub trigger: Trigger,
    pub initial: StateId,
    pub states: Vec<State>,
}

impl Workflow {
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.0]
    }

    pub fn state_by_name(&self, name: &str) -> Option<StateId> {
        self.states.iter().position(|s| s.name == name).map(StateId)
    }
}

/// What starts an instance of a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A person was assigned to a seat (`starts_on: seat.assigned`).
    SeatAssigned,
    /// A seat became vacant (`starts_on: seat.vacated`).
    SeatVacated,
    /// Only started by another workflow's `start` step or by the API
    /// (`starts_on: manual`).
    Manual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub name: String,
    /// Steps run in order when the state is entered.
    pub steps: Vec<Step>,
    pub next: Next,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Next {
    /// Wait for an answer, a reminder or a timeout.
    Ask(Ask),
    /// Move on to another state at once.
    Goto(StateId),
    /// The instance ends here.
    Final,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ask {
    pub template: String,
    pub channels: Vec<Channel>,
    /// Where each answer leads. Answers not listed are told the question
    /// does not take that answer; the instance stays.
    pub answers: Vec<(Answer, StateId)>,
    pub remind: Option<Remind>,
    pub timeout: Option<Timeout>,
}

impl Ask {
    pub fn target(&self, answer: Answer) -> Option<StateId> {
        self.answers
            .iter()
            .find(|(a, _)| *a == answer)
            .map(|(_, s)| *s)
    }
}

/// A reminder that does not leave the wait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remind {
    pub every: Period,
    pub template: String,
    /// At most this many reminders; `None` means until the wait ends.
    pub max: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeout {
    pub after: Period,
    pub goto: StateId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
}

impl Answer {
    pub const ALL: [Answer; 2] = [Answer::Yes, Answer::No];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The person's own preferred channel.
    Preferred,
    Sms,
    Email,
    Telegram,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Preferred => "preferred",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Telegram => "telegram",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// `set_seat: vacant | invited | confirmed`. Setting a seat vacant
    /// releases its person; the history keeps who held it.
    SetSeat(SeatTarget),
    /// `send: template` or `send: {template, channels}`.
    Send {
        template: String,
        channels: Vec<Channel>,
    },
    /// `start: workflow` starts another workflow on the same seat.
    Start { workflow: String },
    /// `notify: secretariat` or `notify: {to: secretariat, message: "..."}`
    /// puts a note on the secretariat's list.
    Notify {
        audience: Audience,
        message: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatTarget {
    Vacant,
    Invited,
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Secretariat,
}

/// An ISO 8601 duration without years or months (`P10D`, `PT12H`, `P1DT6H`,
/// `P2W`). Days are calendar days in the election's time zone, so `P1D`
/// after 18:00 is 18:00 the next day also across a daylight-saving change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub days: u32,
    pub seconds: u32,
}

impl Period {
    pub fn after(&self, start: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = start.with_timezone(&tz).naive_local();
        let shifted = local
            .checked_add_days(Days::new(u64::from(self.days)))
            .unwrap_or(local);
        // A local time that does not exist (spring forward) or exists twice
        // (fall back) resolves to the earliest instant at or after it.
        let base = match shifted.and_local_timezone(tz) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
            chrono::LocalResult::None => (shifted + chrono::Duration::hours(1))
                .and_local_timezone(tz)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(start),
        };
        base + chrono::Duration::seconds(i64::from(self.seconds))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P")?;
        if self.days > 0 {
            write!(f, "{}D", self.days)?;
        }
        if self.seconds > 0 || self.days == 0 {
            write!(f, "T")?;
            let (h, m, s) = (
                self.seconds / 3600,
                self.seconds / 60 % 60,
                self.seconds % 60,
            );
            if h > 0 {
                write!(f, "{h}H")?;
            }
            if m > 0 {
                write!(f, "{m}M")?;
            }
            if s > 0 || self.seconds == 0 {
                write!(f, "{s}S")?;
            }
        }
        Ok(())
    }
}
