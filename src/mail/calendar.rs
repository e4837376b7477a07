//! The calendar file (RFC 5545) that a confirmed seat's e-mails carry: one
//! event with the station, its address and the task's hours in the
//! election's time zone. Its UID is the person and the day (a person holds
//! one seat a day), so a later e-mail (a reminder, a swap to another
//! station) updates the same calendar entry instead of adding one, and a
//! cancellation (`METHOD:CANCEL`) removes it.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::store::SeatDetails;

/// Europe/Copenhagen's rules since 1996: CEST from the last Sunday of
/// March, CET from the last Sunday of October.
const COPENHAGEN: &str = "BEGIN:VTIMEZONE\r
TZID:Europe/Copenhagen\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
";

/// Who sends the calendar entry: its organizer, whose domain makes the UID
/// globally unique.
pub struct Organizer<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub domain: &'a str,
}

/// What a calendar file does to the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Adds or updates it.
    Publish,
    /// Removes it: the person no longer has the task.
    Cancel,
}

/// The event of `seat` for `person_id`, as an .ics file; `now` is its
/// timestamp and sequence.
pub fn seat_event(
    seat: &SeatDetails,
    person_id: i64,
    organizer: &Organizer<'_>,
    method: Method,
    now: DateTime<Utc>,
) -> String {
    let (method, status) = match method {
        Method::Publish => ("METHOD:PUBLISH", "STATUS:CONFIRMED"),
        Method::Cancel => ("METHOD:CANCEL", "STATUS:CANCELLED"),
    };
    let domain = organizer.domain;
    let start = seat.date.and_time(seat.start_time);
    let mut end = seat.date.and_time(seat.end_time);
    if end <= start {
        // A task that goes on past midnight (a count) ends the next day.
        end += chrono::Duration::days(1);
    }
    let (timezone, dtstart, dtend) = if seat.time_zone == "Europe/Copenhagen" {
        (
            COPENHAGEN,
            format!("DTSTART;TZID=Europe/Copenhagen:{}", local(start)),
            format!("DTEND;TZID=Europe/Copenhagen:{}", local(end)),
        )
    } else {
        let tz: chrono_tz::Tz = seat.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let utc = |t: NaiveDateTime| crate::workflow::local_instant(t, tz);
        (
            "",
            format!("DTSTART:{}", stamp(utc(start))),
            format!("DTEND:{}", stamp(utc(end))),
        )
    };
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//valgvagt//valgvagt//DA".into(),
        "CALSCALE:GREGORIAN".into(),
        method.into(),
    ];
    let event = [
        "BEGIN:VEVENT".to_string(),
        format!(
            "UID:election-{}-{}-person-{person_id}@{domain}",
            seat.election_id,
            seat.date.format("%Y%m%d")
        ),
        format!("DTSTAMP:{}", stamp(now)),
        format!(
            "ORGANIZER;CN=\"{}\":mailto:{}",
            organizer.name.replace('"', ""),
            organizer.address
        ),
        format!("SEQUENCE:{}", (now.timestamp() - 1_577_836_800).max(0) / 60),
        dtstart,
        dtend,
        format!(
            "SUMMARY:{}",
            text(&format!("{} – {}", seat.task_type, seat.election))
        ),
        format!(
            "LOCATION:{}",
            text(&format!("{}, {}", seat.station, seat.address))
        ),
        format!(
            "DESCRIPTION:{}",
            text(&format!(
                "{} ved {}, {}.",
                seat.task_type, seat.election, seat.station
            ))
        ),
        status.into(),
        "TRANSP:OPAQUE".into(),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    let mut out = String::new();
    for line in &lines {
        out.push_str(&fold(line));
    }
    out.push_str(timezone);
    for line in &event {
        out.push_str(&fold(line));
    }
    out
}

fn local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value: backslash, semicolon, comma and newline escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no line is longer than 75 octets
/// (never inside a UTF-8 character), ended by CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime, TimeZone};

    fn seat(start: (u32, u32), end: (u32, u32)) -> SeatDetails {
        SeatDetails {
            seat_id: 12,
            date: NaiveDate::from_ymd_opt(2029, 11, 20).unwrap(),
            status: "confirmed".into(),
            election_id: 1,
            election: "Kommunalvalg 2029".into(),
            time_zone: "Europe/Copenhagen".into(),
            lock_days: 0,
            election_active: true,
            station_id: 1,
            station: "Rådhushallen".into(),
            address: "Rådhuspladsen 1, 1550 København V".into(),
            task_type: "Valgstyrer".into(),
            start_time: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(end.0, end.1, 0).unwrap(),
            payment_ore: 60_000,
            team_id: 1,
            team: "Borgerlisten".into(),
            person_id: Some(3),
            code: Some("S1".into()),
        }
    }

    fn organizer() -> Organizer<'static> {
        Organizer {
            name: "Testrup Kommune",
            address: "valg@kommune.dk",
            domain: "kommune.dk",
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2029, 11, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn the_event_has_the_station_and_local_hours_with_their_time_zone() {
        let ics = seat_event(
            &seat((7, 30), (21, 0)),
            3,
            &organizer(),
            Method::Publish,
            now(),
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Copenhagen:20291120T073000\r\n"));
        assert!(ics.contains("\r\nDTEND;TZID=Europe/Copenhagen:20291120T210000\r\n"));
        assert!(ics.contains("\r\nTZID:Europe/Copenhagen\r\n"));
        assert!(ics.contains("\r\nUID:election-1-20291120-person-3@kommune.dk\r\n"));
        assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(ics.contains("\r\nORGANIZER;CN=\"Testrup Kommune\":mailto:valg@kommune.dk\r\n"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains("LOCATION:Rådhushallen\\, Rådhuspladsen 1\\, 1550 København V\r\n"),
            "{unfolded}"
        );
        assert!(!ics.replace("\r\n", "").contains('\n'), "CRLF only");
    }

    #[test]
    fn a_cancellation_removes_the_same_entry() {
        let published = seat_event(
            &seat((7, 30), (21, 0)),
            3,
            &organizer(),
            Method::Publish,
            now(),
        );
        let later = now() + chrono::Duration::hours(1);
        let cancel = seat_event(
            &seat((7, 30), (21, 0)),
            3,
            &organizer(),
            Method::Cancel,
            later,
        );
        let line = |ics: &str, key: &str| {
            ics.lines()
                .find(|l| l.starts_with(key))
                .map(str::to_string)
                .unwrap()
        };
        assert_eq!(line(&cancel, "UID:"), line(&published, "UID:"));
        assert!(cancel.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(cancel.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(
            line(&cancel, "SEQUENCE:") > line(&published, "SEQUENCE:"),
            "a later sequence wins"
        );
    }

    #[test]
    fn a_task_past_midnight_ends_the_next_day() {
        let ics = seat_event(
            &seat((19, 0), (2, 0)),
            3,
            &organizer(),
            Method::Publish,
            now(),
        );
        assert!(ics.contains("DTEND;TZID=Europe/Copenhagen:20291121T020000"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let line = format!("DESCRIPTION:{}", "æøå".repeat(30));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("{line}\r\n"));
    }
}
