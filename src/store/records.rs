//! Rows as the store returns them.
//!
//! Rows that hold personal data implement `Debug` by hand and show ids only,
//! so that a stray `{:?}` cannot put a name or number in a log.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ElectionType {
    pub id: i64,
    pub name: String,
    pub min_age: i32,
    pub rule_age: bool,
    pub rule_residence: bool,
    pub rule_citizenship: bool,
    pub rule_guardianship: bool,
}

impl ElectionType {
    pub fn rules(&self) -> crate::domain::eligibility::Rules {
        crate::domain::eligibility::Rules {
            min_age: self.rule_age.then_some(self.min_age),
            residence: self.rule_residence,
            citizenship: self.rule_citizenship,
            guardianship: self.rule_guardianship,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Election {
    pub id: i64,
    pub title: String,
    pub election_type_id: i64,
    pub starts_on: NaiveDate,
    pub election_day: NaiveDate,
    pub ends_on: NaiveDate,
    pub lock_days: i32,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
    /// The election the admin opens on; at most one is.
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Area {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Station {
    pub id: i64,
    pub area_id: i64,
    pub name: String,
    pub address: String,
    pub voting_area: Option<String>,
    /// The valgstyrerformand, who may report no-shows by SMS.
    pub responsible_person_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TaskType {
    pub id: i64,
    pub name: String,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub payment_ore: i32,
    pub trusted: bool,
}

#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub name: String,
    /// The CPR number as stored: sealed (see [`super::sealing`]).
    #[sqlx(rename = "cpr_sealed")]
    #[serde(skip)]
    pub(crate) sealed_cpr: String,
    /// The CPR number, opened when the row was read; `None` for a person
    /// who was erased. Never serialized: a page or the API shows it
    /// masked unless it is revealed.
    #[sqlx(skip)]
    #[serde(skip)]
    pub cpr: Option<crate::domain::Cpr>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub preferred_channel: String,
    pub language: String,
    pub sms_opt_out: bool,
    pub created_at: DateTime<Utc>,
    /// When they were last added, imported again or changed.
    pub touched_at: Option<DateTime<Utc>>,
    /// The Telegram chat the person linked (`/start` with their deep link).
    pub telegram_chat_id: Option<i64>,
    /// The preferred channel before the chat was linked, given back when
    /// it is unlinked.
    pub preferred_before_telegram: Option<String>,
    /// The facts the eligibility rules need; `None` is not known.
    pub municipality_code: Option<String>,
    pub danish_citizen: Option<bool>,
    pub under_guardianship: Option<bool>,
    pub deceased: Option<bool>,
    pub facts_checked_at: Option<DateTime<Utc>>,
}

impl Person {
    pub fn facts(&self) -> crate::domain::eligibility::Facts {
        use crate::domain::eligibility::{Facts, MunicipalityCode};
        Facts {
            municipality: self
                .municipality_code
                .as_deref()
                .and_then(|c| MunicipalityCode::parse(c).ok()),
            danish_citizen: self.danish_citizen,
            under_guardianship: self.under_guardianship,
            deceased: self.deceased,
        }
    }
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Person#{}", self.id)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Seat {
    pub id: i64,
    pub election_id: i64,
    pub station_id: i64,
    pub task_type_id: i64,
    pub team_id: i64,
    pub date: NaiveDate,
    pub person_id: Option<i64>,
    pub status: String,
    pub updated_at: DateTime<Utc>,
    /// `S3`: unique at its station on its date, printed on the station's list.
    pub code: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// A seat with everything a message about it mentions.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct SeatDetails {
    pub seat_id: i64,
    pub date: NaiveDate,
    pub status: String,
    pub election_id: i64,
    pub election: String,
    pub time_zone: String,
    /// The election's lock period: within this many days of the seat's
    /// date its person can no longer give it up themselves.
    pub lock_days: i32,
    /// Whether the election is active: only then does anything automatic
    /// happen about its seats.
    pub election_active: bool,
    pub station_id: i64,
    pub station: String,
    pub address: String,
    pub task_type: String,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub payment_ore: i32,
    pub team_id: i64,
    pub team: String,
    pub person_id: Option<i64>,
    pub code: Option<String>,
}

impl SeatDetails {
    /// When the task begins: its start on its date, in the election's zone.
    pub fn starts_at(&self) -> DateTime<Utc> {
        crate::workflow::local_instant(self.date.and_time(self.start_time), self.tz())
    }

    /// When the task ends: its end on its date, or the next day when the
    /// end is not after the start.
    pub fn ends_at(&self) -> DateTime<Utc> {
        let mut end = self.date.and_time(self.end_time);
        if self.end_time <= self.start_time {
            end += chrono::Duration::days(1);
        }
        crate::workflow::local_instant(end, self.tz())
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// Whether `now` is within the lock period: `lock_days` (at least one)
    /// or fewer days before the seat's date, or on or after it.
    pub fn locked_at(&self, now: DateTime<Utc>) -> bool {
        let today = now.with_timezone(&self.tz()).date_naive();
        self.lock_days > 0 && (self.date - today).num_days() <= i64::from(self.lock_days)
    }
}

impl std::fmt::Debug for SeatDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SeatDetails#{}", self.seat_id)
    }
}

#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct SeatHistoryEntry {
    pub id: i64,
    pub seat_id: i64,
    pub person_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub event: String,
    pub channel: Option<String>,
    pub inbound_id: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WorkflowRevision {
    pub id: i64,
    pub name: String,
    pub revision: i32,
    pub source: String,
    pub compiled: String,
    pub created_at: DateTime<Utc>,
    /// `file` (a definition file published at start) or `admin`.
    pub origin: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Instance {
    pub id: i64,
    pub revision_id: i64,
    pub seat_id: Option<i64>,
    pub person_id: Option<i64>,
    pub state: String,
    pub status: String,
    pub reminders_sent: i32,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Question {
    pub id: i64,
    pub instance_id: i64,
    pub person_id: i64,
    pub seat_id: Option<i64>,
    pub code: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    /// `ask` (to the seat's person) or `offer` (of a vacant seat to a
    /// standby person).
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Timer {
    pub id: i64,
    pub instance_id: i64,
    pub question_id: Option<i64>,
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: i64,
    pub idempotency_key: String,
    pub person_id: Option<i64>,
    pub seat_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub question_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    pub body: String,
    /// E-mail only.
    pub subject: Option<String>,
    /// E-mail only: the HTML part beside the plain text in `body`.
    pub html: Option<String>,
    /// E-mail only: the seat's calendar entry, attached as an .ics file.
    pub calendar: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// What the gateway reported: `delivered`, `undelivered`, or `None`.
    pub delivery: Option<String>,
    /// The gateway's status word and error code.
    pub delivery_detail: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    /// The message this one repeats on another channel.
    pub fallback_of: Option<i64>,
    /// Telegram only: the inline buttons under the message (JSON rows).
    pub buttons: Option<String>,
    /// An attempt's outcome was unknown (a timeout once sent): the
    /// message may have reached the phone before a later attempt did.
    pub maybe_sent: bool,
}

impl std::fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OutboxMessage#{}({}, {})",
            self.id, self.template, self.status
        )
    }
}

#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct InboundMessage {
    pub id: i64,
    pub provider: String,
    pub provider_message_id: String,
    pub sender: String,
    pub receiver: Option<String>,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

impl std::fmt::Debug for InboundMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InboundMessage#{}", self.id)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub seat_id: Option<i64>,
    pub person_id: Option<i64>,
    pub instance_id: Option<i64>,
    pub inbound_id: Option<i64>,
    /// In English (or the workflow's own words).
    pub message: String,
    pub resolved_at: Option<DateTime<Utc>>,
    /// For this team's responsibles; `None` for the secretariat.
    pub team_id: Option<i64>,
    /// In Danish; `None` on notes written before it was kept.
    pub message_da: Option<String>,
}
