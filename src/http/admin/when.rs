//! Times and dates as every admin page (and the dev phones) writes them:
//! in the elections' time zone (Danish time), Danish style
//! (`04.12.2026 14.30`).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

const ZONE: chrono_tz::Tz = chrono_tz::Europe::Copenhagen;

/// A moment as a local date and time.
pub fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&ZONE).format("%d.%m.%Y %H.%M").to_string()
}

/// A date.
pub fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// The moments a local date spans: `[start, end)` in UTC.
pub fn day_span(d: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        ZONE.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    (start(d), start(d.succ_opt().unwrap_or(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_danish_time_in_danish_style() {
        let summer = Utc.with_ymd_and_hms(2026, 6, 1, 12, 5, 0).unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 12, 4, 23, 30, 0).unwrap();
        assert_eq!(local(summer), "01.06.2026 14.05");
        assert_eq!(local(winter), "05.12.2026 00.30");
        let (from, to) = day_span(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
        assert_eq!((to - from).num_hours(), 23, "the day summer time begins");
    }
}
