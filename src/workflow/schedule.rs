//! When a scheduled workflow runs: a time of day relative to a date of the
//! election or of a seat (`election_day - P1D 18:00`), in the election's
//! time zone, optionally repeated by an RFC 5545 RRULE, and what to do
//! about occurrences that passed while the service was down.
//!
//! Times are wall-clock times where the election is: `18:00` is 18:00 in
//! Copenhagen on both sides of a daylight-saving change, and a repeat keeps
//! that wall-clock time (RFC 5545's `DTSTART;TZID=…`).

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::model::{Period, local_instant};
use super::period::parse_period;
use super::suggest::{did_you_mean, did_you_mean_help, list};

/// The most occurrences one schedule may have: a daily reminder for a
/// year is far beyond any election's needs.
pub const MAX_OCCURRENCES: u16 = 366;

/// The date a schedule's time is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The election day.
    ElectionDay,
    /// The first day of the election's date window.
    StartsOn,
    /// The last day of the election's date window.
    EndsOn,
    /// The date of each seat: the schedule runs once per distinct date of
    /// the seats it is fanned out over.
    SeatDate,
}

impl Anchor {
    const NAMES: [(&'static str, Anchor); 4] = [
        ("election_day", Anchor::ElectionDay),
        ("starts_on", Anchor::StartsOn),
        ("ends_on", Anchor::EndsOn),
        ("seat_date", Anchor::SeatDate),
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("election_day")
    }
}

/// `<anchor> [+|- <days>] <HH:MM>`: a wall-clock time on a day counted from
/// an anchor date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct At {
    pub anchor: Anchor,
    /// Days after the anchor date; negative is before.
    pub days: i32,
    pub time: NaiveTime,
}

/// Why an `at:` text is not a time, in words for the person editing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtError {
    pub message: String,
    pub help: Option<String>,
}

const AT_HELP: &str = "write a date, an optional whole number of days before (-) or after (+) \
     it, and a time of day, e.g. `election_day - P1D 18:00` or `seat_date - P5D 09:00`";

impl At {
    pub fn parse(text: &str) -> Result<At, AtError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (anchor_word, rest) = match words.split_first() {
            Some(split) => split,
            None => {
                return Err(AtError {
                    message: "the time is empty".into(),
                    help: Some(AT_HELP.into()),
                });
            }
        };
        let anchor = Anchor::NAMES
            .iter()
            .find(|(n, _)| n == anchor_word)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                let names = Anchor::NAMES.iter().map(|(n, _)| *n);
                AtError {
                    message: format!(
                        "`{anchor_word}` is not a date this schedule can count from; it can count from {}",
                        list(names.clone(), "or")
                    ),
                    help: Some(
                        did_you_mean(anchor_word, names)
                            .map(did_you_mean_help)
                            .unwrap_or_else(|| AT_HELP.into()),
                    ),
                }
            })?;
        let (days, time_word) = match rest {
            [time] => (0, *time),
            [sign @ ("+" | "-"), period, time] => {
                let p = parse_period(period).map_err(|e| AtError {
                    message: e.message,
                    help: e.help,
                })?;
                if p.seconds != 0 {
                    return Err(AtError {
                        message: format!(
                            "`{period}` is not a whole number of days; the time of day comes after it"
                        ),
                        help: Some(AT_HELP.into()),
                    });
                }
                let days = i32::try_from(p.days).unwrap_or(i32::MAX);
                (if *sign == "-" { -days } else { days }, *time)
            }
            [] => {
                return Err(AtError {
                    message: format!("`{text}` has no time of day"),
                    help: Some(AT_HELP.into()),
                });
            }
            _ => {
                return Err(AtError {
                    message: format!("`{text}` is not a time this schedule can read"),
                    help: Some(AT_HELP.into()),
                });
            }
        };
        let time = NaiveTime::parse_from_str(time_word, "%H:%M").map_err(|_| AtError {
            message: format!("`{time_word}` is not a time of day"),
            help: Some("write hours and minutes on a 24-hour clock, e.g. 18:00 or 07:30".into()),
        })?;
        Ok(At { anchor, days, time })
    }

    /// The wall-clock time this names, counted from `anchor_date`.
    pub fn local(&self, anchor_date: NaiveDate) -> NaiveDateTime {
        let magnitude = Days::new(u64::from(self.days.unsigned_abs()));
        let date = if self.days < 0 {
            anchor_date.checked_sub_days(magnitude)
        } else {
            anchor_date.checked_add_days(magnitude)
        }
        .unwrap_or(anchor_date);
        date.and_time(self.time)
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.anchor.as_str())?;
        if self.days != 0 {
            let sign = if self.days < 0 { '-' } else { '+' };
            write!(f, " {sign} P{}D", self.days.unsigned_abs())?;
        }
        write!(f, " {}", self.time.format("%H:%M"))
    }
}

/// Checks an RRULE (without `DTSTART`, which the schedule's time gives).
pub fn check_rrule(text: &str) -> Result<(), String> {
    let rule: rrule::RRule<rrule::Unvalidated> = text.parse().map_err(|e| format!("{e}"))?;
    let start = rrule::Tz::UTC
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .ok_or("no start")?;
    rule.validate(start).map_err(|e| format!("{e}"))?;
    Ok(())
}

/// A parsed `schedule:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub at: At,
    /// `FREQ=DAILY;COUNT=3`; `None` runs once.
    pub rrule: Option<String>,
    /// How late an occurrence may still run after a stop of the service;
    /// one missed by more is skipped and reported.
    pub catch_up: Period,
}

/// What to do with an occurrence that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Run it now (on time, or late within the catch-up window).
    Run(DateTime<Utc>),
    /// It passed longer ago than the catch-up window: skip it and tell the
    /// secretariat.
    Missed(DateTime<Utc>),
}

impl Schedule {
    /// Every occurrence, in order, counted from `anchor_date` in `tz`, at
    /// most [`MAX_OCCURRENCES`]. A wall-clock time that does not exist
    /// (the hour skipped in spring) runs at the first instant after the
    /// gap; one that exists twice (autumn) runs the first time.
    pub fn occurrences(
        &self,
        anchor_date: NaiveDate,
        tz: Tz,
    ) -> Result<Vec<DateTime<Utc>>, String> {
        let start = local_instant(self.at.local(anchor_date), tz);
        let Some(text) = &self.rrule else {
            return Ok(vec![start]);
        };
        let rule: rrule::RRule<rrule::Unvalidated> = text.parse().map_err(|e| format!("{e}"))?;
        let start = start.with_timezone(&rrule::Tz::Tz(tz));
        let set = rule.build(start).map_err(|e| format!("{e}"))?;
        Ok(set
            .all(MAX_OCCURRENCES)
            .dates
            .into_iter()
            .map(|d| d.with_timezone(&Utc))
            .collect())
    }

    /// The occurrences after `last` (the latest one already handled) and at
    /// or before `now`, each to run or to skip.
    pub fn due(
        &self,
        occurrences: &[DateTime<Utc>],
        last: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Vec<Due> {
        occurrences
            .iter()
            .filter(|at| last.is_none_or(|l| **at > l) && **at <= now)
            .map(|at| {
                if self.catch_up.after(*at, tz) >= now {
                    Due::Run(*at)
                } else {
                    Due::Missed(*at)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Copenhagen;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn schedule(at: &str, rrule: Option<&str>) -> Schedule {
        Schedule {
            at: At::parse(at).unwrap(),
            rrule: rrule.map(str::to_string),
            catch_up: parse_period("PT6H").unwrap(),
        }
    }

    #[test]
    fn a_time_is_read_as_a_date_a_number_of_days_and_a_time_of_day() {
        let at = At::parse("election_day - P1D 18:00").unwrap();
        assert_eq!(at.anchor, Anchor::ElectionDay);
        assert_eq!(at.days, -1);
        assert_eq!(at.time, NaiveTime::from_hms_opt(18, 0, 0).unwrap());
        assert_eq!(At::parse("seat_date - P5D 09:00").unwrap().days, -5);
        assert_eq!(At::parse("starts_on + P1W 12:30").unwrap().days, 7);
        assert_eq!(At::parse("election_day 07:30").unwrap().days, 0);
        assert_eq!(
            At::parse("election_day  -  P1D   18:00")
                .unwrap()
                .to_string(),
            "election_day - P1D 18:00"
        );
    }

    #[test]
    fn a_misspelt_date_suggests_the_right_one() {
        let e = At::parse("electionday - P1D 18:00").unwrap_err();
        assert!(e.message.contains("`electionday` is not a date"), "{e:?}");
        assert_eq!(e.help.as_deref(), Some("did you mean `election_day`?"));
    }

    #[test]
    fn an_offset_in_hours_or_a_bad_time_of_day_is_refused_with_the_form_to_use() {
        let e = At::parse("election_day - PT12H 18:00").unwrap_err();
        assert!(e.message.contains("not a whole number of days"), "{e:?}");
        let e = At::parse("election_day - P1D 25:00").unwrap_err();
        assert_eq!(e.message, "`25:00` is not a time of day");
        let e = At::parse("election_day - P1D").unwrap_err();
        assert!(
            e.message.contains("is not a time this schedule can read"),
            "{e:?}"
        );
        assert!(At::parse("election_day").is_err());
        assert!(At::parse("").is_err());
    }

    #[test]
    fn the_evening_before_is_six_pm_in_copenhagen_also_the_day_after_the_clocks_go_back() {
        // Daylight saving ends on Sunday 25 October 2026.
        let s = schedule("election_day - P1D 18:00", None);
        assert_eq!(
            s.occurrences(date(2026, 10, 26), Copenhagen).unwrap(),
            [utc("2026-10-25T17:00:00Z")]
        );
        assert_eq!(
            s.occurrences(date(2026, 10, 25), Copenhagen).unwrap(),
            [utc("2026-10-24T16:00:00Z")]
        );
    }

    #[test]
    fn a_repeat_keeps_the_wall_clock_time_across_the_change() {
        let s = schedule("election_day - P2D 18:00", Some("FREQ=DAILY;COUNT=3"));
        assert_eq!(
            s.occurrences(date(2026, 10, 26), Copenhagen).unwrap(),
            [
                utc("2026-10-24T16:00:00Z"),
                utc("2026-10-25T17:00:00Z"),
                utc("2026-10-26T17:00:00Z"),
            ]
        );
    }

    #[test]
    fn a_time_in_the_hour_skipped_in_spring_runs_when_the_hour_ends() {
        // Daylight saving begins on Sunday 28 March 2027 at 02:00.
        let s = schedule("election_day - P1D 02:30", None);
        assert_eq!(
            s.occurrences(date(2027, 3, 29), Copenhagen).unwrap(),
            [utc("2027-03-28T01:00:00Z")]
        );
    }

    #[test]
    fn an_rrule_is_checked_when_the_file_is() {
        assert!(check_rrule("FREQ=DAILY;COUNT=1").is_ok());
        assert!(check_rrule("FREQ=SOMETIMES").is_err());
        assert!(check_rrule("FREQ=DAILY;BYHOUR=25").is_err());
    }

    #[test]
    fn a_missed_occurrence_runs_within_the_catch_up_window_and_is_skipped_after_it() {
        let s = schedule("election_day - P1D 18:00", Some("FREQ=DAILY;COUNT=2"));
        let all = s.occurrences(date(2026, 11, 20), Copenhagen).unwrap();
        assert_eq!(
            all,
            [utc("2026-11-19T17:00:00Z"), utc("2026-11-20T17:00:00Z")]
        );
        // Back up two hours after the first: it still runs.
        assert_eq!(
            s.due(&all, None, utc("2026-11-19T19:00:00Z"), Copenhagen),
            [Due::Run(all[0])]
        );
        // Back up the next morning: the evening before is over.
        assert_eq!(
            s.due(&all, None, utc("2026-11-20T08:00:00Z"), Copenhagen),
            [Due::Missed(all[0])]
        );
        // Already handled, or not yet due: nothing.
        assert!(
            s.due(&all, Some(all[0]), utc("2026-11-20T08:00:00Z"), Copenhagen)
                .is_empty()
        );
        assert_eq!(
            s.due(&all, Some(all[0]), all[1], Copenhagen),
            [Due::Run(all[1])]
        );
    }
}
