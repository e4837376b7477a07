//! The compiled form of a workflow definition: what the engine runs.
//!
//! A workflow is a state machine. Entering a state runs its `do` steps in
//! order, then the state either waits for an answer (`ask`), moves on at once
//! (`goto`), or ends the instance (neither). States are addressed by index
//! into [`Workflow::states`]; the names are kept for audit and diagnostics.

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use super::schedule::Schedule;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A person was assigned to a seat (`starts_on: seat.assigned`).
    SeatAssigned,
    /// A seat became vacant: declined, unanswered, removed
    /// (`starts_on: seat.vacated`).
    SeatVacated,
    /// The seat's person did not turn up on the day; the seat is free
    /// again (`starts_on: seat.no_show`).
    SeatNoShow,
    /// The secretariat withdrew the invitation of a person who had not
    /// answered yet (`starts_on: seat.retracted`). The instance's person
    /// is the one taken off; `seat.vacated` follows.
    SeatRetracted,
    /// The secretariat took a person off a seat they had accepted
    /// (`starts_on: seat.removed`).
    SeatRemoved,
    /// A person was taken off because they no longer meet the conditions
    /// (age, residence, citizenship; `starts_on: seat.removed_by_validation`).
    SeatRemovedByValidation,
    /// A person gave up a seat they had accepted, from the cancel link in
    /// their confirmation (`starts_on: seat.cancelled`); `seat.vacated`
    /// follows.
    SeatCancelled,
    /// A person asked to swap polling station (`SKIFT` by SMS, or the swap
    /// link in an e-mail; `starts_on: swap.requested`). The instance's seat
    /// is the one they hold.
    SwapRequested,
    /// Only started by another workflow's `start` step or by the API
    /// (`starts_on: manual`).
    Manual,
    /// At the times of a schedule, once for each seat a filter selects
    /// (`starts_on: {schedule: …, for_each: seat where …}`).
    Schedule(ScheduledStart),
}

/// When a scheduled workflow runs and for which seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledStart {
    pub schedule: Schedule,
    pub seats: SeatFilter,
    /// One instance per person and day, about the person's first selected
    /// seat that day, instead of one per seat (`one_per_person: yes`): a
    /// reminder then lists all their seats that day in one message.
    #[serde(default)]
    pub one_per_person: bool,
}

/// Which seats a scheduled workflow runs for: a seat is selected when
/// every condition of one of the alternatives holds (`… or …`); no
/// alternatives selects every seat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredFilter")]
pub struct SeatFilter {
    pub any: Vec<SeatConditions>,
}

/// A filter as revisions store it: alternatives, or (revisions compiled
/// before `or` existed) the conditions of the one alternative.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredFilter {
    Any { any: Vec<SeatConditions> },
    Legacy(SeatConditions),
}

impl From<StoredFilter> for SeatFilter {
    fn from(f: StoredFilter) -> SeatFilter {
        match f {
            StoredFilter::Any { any } => SeatFilter { any },
            StoredFilter::Legacy(c) if c == SeatConditions::default() => SeatFilter::default(),
            StoredFilter::Legacy(c) => SeatFilter { any: vec![c] },
        }
    }
}

impl SeatFilter {
    /// Whether any alternative names a date.
    pub fn names_a_date(&self) -> bool {
        self.any.iter().any(|c| c.date.is_some())
    }

    /// The filter with every date made a calendar date of the election.
    pub fn on_dates(
        &self,
        election_day: NaiveDate,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Vec<SeatConditions<NaiveDate>> {
        self.any
            .iter()
            .map(|c| SeatConditions {
                status: c.status,
                task_type: c.task_type.clone(),
                checked_in: c.checked_in,
                date: c.date.map(|d| match d {
                    FilterDate::ElectionDay => election_day,
                    FilterDate::StartsOn => starts_on,
                    FilterDate::EndsOn => ends_on,
                    FilterDate::On(day) => day,
                }),
            })
            .collect()
    }
}

/// Conditions that must all hold (`… and …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "D: Deserialize<'de>"))]
pub struct SeatConditions<D = FilterDate> {
    /// The seat's status; `None` is any status.
    pub status: Option<SeatStatus>,
    /// The name of the seat's task type.
    pub task_type: Option<String>,
    /// Whether the seat's person has checked in (`MØDT`).
    pub checked_in: Option<bool>,
    /// The seat's date.
    #[serde(default)]
    pub date: Option<D>,
}

impl<D> Default for SeatConditions<D> {
    fn default() -> Self {
        SeatConditions {
            status: None,
            task_type: None,
            checked_in: None,
            date: None,
        }
    }
}

/// A date in a filter: one of the election's dates, or a calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterDate {
    ElectionDay,
    StartsOn,
    EndsOn,
    On(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    Vacant,
    Invited,
    Confirmed,
}

impl SeatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Vacant => "vacant",
            SeatStatus::Invited => "invited",
            SeatStatus::Confirmed => "confirmed",
        }
    }
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
    /// Offer the instance's vacant seat to standby people in waves; the
    /// first yes takes it.
    Offer(Offer),
    /// Offer the instance's person the stations with a free seat like
    /// theirs; a chosen one moves them there.
    Swap(Swap),
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

/// Offering a vacant seat to the people on standby for it.
///
/// The first `wave` people are asked at once, each with a code of their
/// own; every `wait` that passes without a yes, the next `wave` are asked
/// too, while the earlier ones may still answer. The first yes takes the
/// seat (`filled`, with that person); the others are told it is taken when
/// they answer and stay on standby. When nobody is left to ask and the
/// last wave has had its wait, the instance goes to `unfilled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub template: String,
    pub channels: Vec<Channel>,
    pub wave: u32,
    pub wait: Period,
    pub filled: StateId,
    pub unfilled: StateId,
    /// Only people of the seat's team (party) are asked, as the council's
    /// constitution shares the seats; `same_team: false` asks everyone on
    /// standby for the seat. A seat of a team open to all is offered to
    /// everyone either way.
    #[serde(default = "yes")]
    pub same_team: bool,
}

fn yes() -> bool {
    true
}

/// Swapping polling station.
///
/// The person is sent the stations (at most `options`) with a vacant
/// seat of the same task type on the same date, `within` their station's
/// area or anywhere, numbered, under a code of their own. Choosing one
/// (`K7 2`, or the link's page) moves them in one transaction: the new
/// seat is taken, confirmed, and the old one freed, which starts the
/// `seat.vacated` workflows; then `moved`. A seat taken in the meantime
/// changes nothing: the person is told and sent the stations as they are
/// now. No station with a free seat leads to `none`; a no, or no choice
/// within `wait`, to `kept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Swap {
    pub template: String,
    pub channels: Vec<Channel>,
    pub within: SwapScope,
    pub options: u32,
    pub wait: Period,
    pub moved: StateId,
    pub none: StateId,
    pub kept: StateId,
    /// With it, a choice waits for the secretariat's approval instead of
    /// moving the person at once.
    #[serde(default)]
    pub approval: Option<SwapApproval>,
    /// Only free seats of the person's seat's team (party) are listed;
    /// `same_team: false` lists free seats of any team.
    #[serde(default = "yes")]
    pub same_team: bool,
}

/// A swap the secretariat approves: the person is told their choice
/// awaits approval; approved, they move (`moved`); refused, they keep
/// their seat and the instance goes to `refused`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwapApproval {
    pub template: String,
    pub refused: StateId,
}

/// Where a swap may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapScope {
    /// Stations in the same area as the person's station.
    Area,
    /// Any station of the election.
    Municipality,
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
    /// The wait ends at the latest this long before the seat's task
    /// starts (`before_start: P2D`; a day unless written), so nobody is
    /// left invited when the task begins.
    #[serde(default = "Timeout::default_before_start")]
    pub before_start: Period,
}

impl Timeout {
    pub const DEFAULT_BEFORE_START: Period = Period {
        days: 1,
        seconds: 0,
    };

    fn default_before_start() -> Period {
        Timeout::DEFAULT_BEFORE_START
    }

    /// When a question asked at `asked` times out, for a seat whose task
    /// starts at `starts` (none without a seat): `after` from the asking,
    /// but no later than `before_start` before the start; and when that is
    /// already past, at the start itself. The second value is whether the
    /// wait was cut short.
    pub fn due(
        &self,
        asked: DateTime<Utc>,
        starts: Option<DateTime<Utc>>,
        tz: Tz,
    ) -> (DateTime<Utc>, bool) {
        let full = self.after.after(asked, tz);
        let Some(starts) = starts else {
            return (full, false);
        };
        let latest = self.before_start.before(starts, tz);
        let latest = if latest > asked {
            latest
        } else {
            starts.max(asked)
        };
        if full > latest {
            (latest, true)
        } else {
            (full, false)
        }
    }
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
    /// puts a note on the secretariat's list; `to: team` on the seat's
    /// team's.
    Notify {
        audience: Audience,
        /// In Danish, or the only text.
        message: Option<String>,
        /// In English, when written apart (`message: {da, en}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_en: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatTarget {
    Vacant,
    Invited,
    Confirmed,
    /// The person did not turn up: the seat is freed, the no-show kept in
    /// its history, and the `seat.no_show` workflows start.
    NoShow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Secretariat,
    /// The responsibles of the seat's team (the party secretary): their
    /// follow-up list, and an e-mail to each of them.
    Team,
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
    /// `self` before `end`, counted as [`Period::after`] counts.
    pub fn before(&self, end: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = end.with_timezone(&tz).naive_local();
        let shifted = local
            .checked_sub_days(Days::new(u64::from(self.days)))
            .unwrap_or(local);
        let base = local_instant(shifted, tz);
        base - chrono::Duration::seconds(i64::from(self.seconds))
    }

    pub fn after(&self, start: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = start.with_timezone(&tz).naive_local();
        let shifted = local
            .checked_add_days(Days::new(u64::from(self.days)))
            .unwrap_or(local);
        let base = local_instant(shifted, tz);
        base + chrono::Duration::seconds(i64::from(self.seconds))
    }
}

/// The instant of a wall-clock time in `tz`. A time that exists twice
/// (autumn) is the first of the two; one that does not exist (the hour
/// skipped in spring) is the first instant after the gap.
pub fn local_instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(t) = local.and_local_timezone(tz).earliest() {
        return t.with_timezone(&Utc);
    }
    // In a gap: the first whole minute after it. Gaps last hours at most.
    (1..=24 * 60)
        .map(|m| local + chrono::Duration::minutes(m))
        .find_map(|probe| probe.and_local_timezone(tz).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_filter_stored_before_or_existed_still_reads() {
        use super::{SeatFilter, SeatStatus};
        let old: SeatFilter =
            serde_json::from_str(r#"{"status":"confirmed","task_type":null,"checked_in":null}"#)
                .unwrap();
        assert_eq!(old.any.len(), 1);
        assert_eq!(old.any[0].status, Some(SeatStatus::Confirmed));
        let every: SeatFilter =
            serde_json::from_str(r#"{"status":null,"task_type":null,"checked_in":null}"#).unwrap();
        assert!(every.any.is_empty());
        let new = SeatFilter {
            any: old.any.clone(),
        };
        let again: SeatFilter =
            serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(again, new);
    }

    use super::*;
    use chrono_tz::Europe::Copenhagen;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_timeout_ends_before_the_task_starts_and_at_its_start_when_asked_later() {
        let t = Timeout {
            after: Period {
                days: 10,
                seconds: 0,
            },
            goto: StateId(1),
            before_start: Timeout::DEFAULT_BEFORE_START,
        };
        let starts = utc("2029-11-20T06:30:00Z");
        let early = utc("2029-10-01T09:00:00Z");
        assert_eq!(
            t.due(early, Some(starts), Copenhagen),
            (utc("2029-10-11T09:00:00Z"), false)
        );
        let late = utc("2029-11-15T09:00:00Z");
        assert_eq!(
            t.due(late, Some(starts), Copenhagen),
            (utc("2029-11-19T06:30:00Z"), true)
        );
        let morning = utc("2029-11-20T05:00:00Z");
        assert_eq!(t.due(morning, Some(starts), Copenhagen), (starts, true));
        assert_eq!(
            t.due(late, None, Copenhagen),
            (utc("2029-11-25T09:00:00Z"), false),
            "without a seat, the whole wait"
        );
    }

    #[test]
    fn a_day_after_a_time_in_the_skipped_spring_hour_is_when_that_hour_ends() {
        // 02:30 on Saturday 27 March 2027; the clocks go forward at 02:00
        // the next night.
        let start = utc("2027-03-27T01:30:00Z");
        let p = Period {
            days: 1,
            seconds: 0,
        };
        assert_eq!(p.after(start, Copenhagen), utc("2027-03-28T01:00:00Z"));
    }

    #[test]
    fn a_day_after_a_time_in_the_repeated_autumn_hour_is_its_first_occurrence() {
        // 02:30 CEST on Saturday 24 October 2026; 02:30 happens twice the
        // next night.
        let start = utc("2026-10-24T00:30:00Z");
        let p = Period {
            days: 1,
            seconds: 0,
        };
        assert_eq!(p.after(start, Copenhagen), utc("2026-10-25T00:30:00Z"));
    }
}
