//! ISO 8601 durations without years and months: `P2W`, `P4D`, `PT12H`,
//! `PT30M`, `PT45S`, and combinations like `P1DT12H`.

use super::model::Period;

/// Why a text is not a usable period, in words for the person editing the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PeriodError {
    pub message: String,
    pub help: Option<String>,
}

/// What a period looks like, for help texts.
pub(super) const FORMAT_HELP: &str = "write a duration like P4D (4 days), P2W (2 weeks), \
     PT12H (12 hours), \
     PT30M (30 minutes) or P1DT12H (1 day and 12 hours)";

/// Parses a period that must be longer than zero.
pub(super) fn parse_period(text: &str) -> Result<Period, PeriodError> {
    let period = match parse_iso(text) {
        Ok(period) => period,
        Err(IsoError::Months) => {
            return Err(PeriodError {
                message: format!(
                    "`{text}` counts months, which is not supported because months differ in length"
                ),
                help: Some(
                    "write days instead, e.g. P30D; for minutes write PT…M, e.g. PT30M".to_string(),
                ),
            });
        }
        Err(IsoError::Years) => {
            return Err(PeriodError {
                message: format!("`{text}` counts years, which is not supported"),
                help: Some("write days instead, e.g. P365D".to_string()),
            });
        }
        Err(IsoError::Fraction) => {
            return Err(PeriodError {
                message: format!("`{text}` has a fraction, which is not supported"),
                help: Some(
                    "write whole numbers of smaller units, e.g. PT1H30M instead of PT1.5H"
                        .to_string(),
                ),
            });
        }
        Err(IsoError::TooLong) => {
            return Err(PeriodError {
                message: format!("`{text}` is too long a period"),
                help: Some(FORMAT_HELP.to_string()),
            });
        }
        Err(IsoError::Malformed) => return Err(not_iso(text)),
    };
    if period.days == 0 && period.seconds == 0 {
        return Err(PeriodError {
            message: format!("`{text}` is zero; the period must be longer than that"),
            help: Some(FORMAT_HELP.to_string()),
        });
    }
    Ok(period)
}

fn not_iso(text: &str) -> PeriodError {
    if let Some(suggestion) = suggest(text) {
        return PeriodError {
            message: format!("`{text}` is not an ISO 8601 duration; write {suggestion}"),
            help: None,
        };
    }
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit()) {
        return PeriodError {
            message: format!("`{text}` is a number without a unit, not an ISO 8601 duration"),
            help: Some(format!(
                "write P{trimmed}D for {trimmed} days or PT{trimmed}H for {trimmed} hours"
            )),
        };
    }
    PeriodError {
        message: format!("`{text}` is not an ISO 8601 duration"),
        help: Some(FORMAT_HELP.to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IsoError {
    Malformed,
    Months,
    Years,
    Fraction,
    TooLong,
}

/// The strict ISO 8601 form, upper case only.
fn parse_iso(text: &str) -> Result<Period, IsoError> {
    let rest = text.strip_prefix('P').ok_or(IsoError::Malformed)?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let date_parts = components(date)?;
    let time_parts = match time {
        Some(time) => {
            let parts = components(time)?;
            if parts.is_empty() {
                return Err(IsoError::Malformed);
            }
            parts
        }
        None => Vec::new(),
    };
    if date_parts.is_empty() && time_parts.is_empty() {
        return Err(IsoError::Malformed);
    }
    let mut days: u32 = 0;
    let mut seconds: u32 = 0;
    let mut order = 0;
    for (n, unit) in date_parts {
        let (rank, factor) = match unit {
            'Y' => return Err(IsoError::Years),
            'M' => return Err(IsoError::Months),
            'W' => (1, 7),
            'D' => (2, 1),
            _ => return Err(IsoError::Malformed),
        };
        if rank <= order {
            return Err(IsoError::Malformed);
        }
        order = rank;
        days = n
            .checked_mul(factor)
            .and_then(|d| d.checked_add(days))
            .ok_or(IsoError::TooLong)?;
    }
    order = 0;
    for (n, unit) in time_parts {
        let (rank, factor) = match unit {
            'H' => (1, 3600),
            'M' => (2, 60),
            'S' => (3, 1),
            _ => return Err(IsoError::Malformed),
        };
        if rank <= order {
            return Err(IsoError::Malformed);
        }
        order = rank;
        seconds = n
            .checked_mul(factor)
            .and_then(|s| s.checked_add(seconds))
            .ok_or(IsoError::TooLong)?;
    }
    Ok(Period { days, seconds })
}

/// `4D12H` → `[(4, 'D'), (12, 'H')]`.
fn components(text: &str) -> Result<Vec<(u32, char)>, IsoError> {
    let mut parts = Vec::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == '.' || c == ',' {
            return Err(if digits.is_empty() {
                IsoError::Malformed
            } else {
                IsoError::Fraction
            });
        } else if c.is_ascii_uppercase() {
            if digits.is_empty() {
                return Err(IsoError::Malformed);
            }
            let n = digits.parse::<u32>().map_err(|_| IsoError::TooLong)?;
            parts.push((n, c));
            digits.clear();
        } else {
            return Err(IsoError::Malformed);
        }
    }
    if digits.is_empty() {
        Ok(parts)
    } else {
        Err(IsoError::Malformed)
    }
}

/// The ISO form of something a person might write instead: `4 days`,
/// `4d`, `p4d`, `1 day 12 hours`, `2 uger`, `30 min`.
fn suggest(text: &str) -> Option<String> {
    let upper = text.trim().to_uppercase();
    if upper != text && parse_iso(&upper).is_ok_and(|p| p.days > 0 || p.seconds > 0) {
        return Some(upper);
    }
    let lower = text.to_lowercase();
    let mut weeks: u64 = 0;
    let mut days: u64 = 0;
    let mut hours: u64 = 0;
    let mut minutes: u64 = 0;
    let mut seconds: u64 = 0;
    let mut any = false;
    let mut chars = lower.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut digits = String::new();
        while let Some(c) = chars.next_if(char::is_ascii_digit) {
            digits.push(c);
        }
        if digits.is_empty() {
            // "and"/"og" between parts.
            let word: String =
                std::iter::from_fn(|| chars.next_if(|c| c.is_alphabetic())).collect();
            if word == "and" || word == "og" {
                continue;
            }
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let unit: String =
            std::iter::from_fn(|| chars.next_if(|c| c.is_alphabetic() || *c == '.')).collect();
        let slot = match unit.trim_end_matches('.') {
            "w" | "wk" | "wks" | "week" | "weeks" | "u" | "uge" | "uger" => &mut weeks,
            "d" | "day" | "days" | "dag" | "dage" | "døgn" => &mut days,
            "h" | "hr" | "hrs" | "hour" | "hours" | "t" | "time" | "timer" => &mut hours,
            "m" | "min" | "mins" | "minute" | "minutes" | "minut" | "minutter" => &mut minutes,
            "s" | "sec" | "secs" | "second" | "seconds" | "sek" | "sekund" | "sekunder" => {
                &mut seconds
            }
            _ => return None,
        };
        *slot += n;
        any = true;
    }
    if !any || weeks + days + hours + minutes + seconds == 0 {
        return None;
    }
    let mut out = String::from("P");
    if weeks > 0 && days == 0 {
        out.push_str(&format!("{weeks}W"));
    } else if weeks + days > 0 {
        out.push_str(&format!("{}D", weeks * 7 + days));
    }
    if hours + minutes + seconds > 0 {
        out.push('T');
        for (n, unit) in [(hours, 'H'), (minutes, 'M'), (seconds, 'S')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
    }
    parse_iso(&out).ok()?;
    Some(out)
}

/// The period's length in seconds, counting a day as 24 hours; for comparing
/// periods with each other.
pub(super) fn approximate_seconds(period: Period) -> u64 {
    u64::from(period.days) * 86_400 + u64::from(period.seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(days: u32, seconds: u32) -> Period {
        Period { days, seconds }
    }

    #[test]
    fn days_weeks_hours_minutes_and_seconds_are_read() {
        assert_eq!(parse_period("P4D"), Ok(p(4, 0)));
        assert_eq!(parse_period("P2W"), Ok(p(14, 0)));
        assert_eq!(parse_period("PT12H"), Ok(p(0, 12 * 3600)));
        assert_eq!(parse_period("PT30M"), Ok(p(0, 30 * 60)));
        assert_eq!(parse_period("PT45S"), Ok(p(0, 45)));
    }

    #[test]
    fn combinations_of_date_and_time_parts_are_added_up() {
        assert_eq!(parse_period("P1DT12H"), Ok(p(1, 12 * 3600)));
        assert_eq!(parse_period("PT1H30M15S"), Ok(p(0, 5415)));
        assert_eq!(parse_period("P1W2D"), Ok(p(9, 0)));
    }

    #[test]
    fn hours_beyond_a_day_stay_hours_because_days_follow_the_calendar() {
        assert_eq!(parse_period("PT48H"), Ok(p(0, 48 * 3600)));
    }

    #[test]
    fn a_period_reads_back_as_it_displays() {
        for text in ["P4D", "PT12H", "P1DT12H", "PT30M", "P10D"] {
            assert_eq!(
                parse_period(text).map(|p| p.to_string()),
                Ok(text.to_string())
            );
        }
    }

    #[test]
    fn a_plain_english_period_suggests_the_iso_form() {
        let e = parse_period("4 days").unwrap_err();
        assert_eq!(e.message, "`4 days` is not an ISO 8601 duration; write P4D");
        assert_eq!(
            not_iso("1 day 12 hours").message,
            "`1 day 12 hours` is not an ISO 8601 duration; write P1DT12H"
        );
        assert_eq!(
            not_iso("2 weeks").message,
            "`2 weeks` is not an ISO 8601 duration; write P2W"
        );
        assert_eq!(
            not_iso("30 min").message,
            "`30 min` is not an ISO 8601 duration; write PT30M"
        );
    }

    #[test]
    fn a_danish_period_suggests_the_iso_form() {
        assert_eq!(
            not_iso("4 dage").message,
            "`4 dage` is not an ISO 8601 duration; write P4D"
        );
        assert_eq!(
            not_iso("2 uger og 3 dage").message,
            "`2 uger og 3 dage` is not an ISO 8601 duration; write P17D"
        );
        assert_eq!(
            not_iso("12 timer").message,
            "`12 timer` is not an ISO 8601 duration; write PT12H"
        );
    }

    #[test]
    fn lower_case_suggests_upper_case() {
        assert_eq!(
            parse_period("p4d").unwrap_err().message,
            "`p4d` is not an ISO 8601 duration; write P4D"
        );
        assert_eq!(
            parse_period("4d").unwrap_err().message,
            "`4d` is not an ISO 8601 duration; write P4D"
        );
    }

    #[test]
    fn a_bare_number_asks_for_a_unit() {
        let e = parse_period("4").unwrap_err();
        assert_eq!(
            e.message,
            "`4` is a number without a unit, not an ISO 8601 duration"
        );
        assert_eq!(
            e.help.as_deref(),
            Some("write P4D for 4 days or PT4H for 4 hours")
        );
    }

    #[test]
    fn months_and_years_are_refused_with_a_reason() {
        assert!(parse_period("P1M").unwrap_err().message.contains("months"));
        assert!(parse_period("P1Y").unwrap_err().message.contains("years"));
    }

    #[test]
    fn zero_is_refused() {
        assert!(parse_period("P0D").unwrap_err().message.contains("zero"));
        assert!(parse_period("PT0S").unwrap_err().message.contains("zero"));
    }

    #[test]
    fn malformed_periods_are_refused() {
        for text in [
            "", "P", "PT", "P4", "P4DT", "4D", "PT4D", "P4H", "P1D2W", "PT30M1H", "P-1D", "P 4D",
            "soon",
        ] {
            let e = parse_period(text).unwrap_err();
            assert!(
                e.message.contains("not an ISO 8601 duration"),
                "{text}: {}",
                e.message
            );
        }
    }

    #[test]
    fn fractions_are_refused_with_a_way_round() {
        let e = parse_period("PT1.5H").unwrap_err();
        assert!(e.message.contains("fraction"));
        assert!(e.help.unwrap().contains("PT1H30M"));
    }

    #[test]
    fn a_period_too_long_to_count_is_refused() {
        assert!(
            parse_period("P99999999999D")
                .unwrap_err()
                .message
                .contains("too long")
        );
        assert!(
            parse_period("P999999999W")
                .unwrap_err()
                .message
                .contains("too long")
        );
    }

    #[test]
    fn approximate_seconds_counts_days_as_24_hours() {
        assert_eq!(approximate_seconds(p(1, 3600)), 90_000);
    }
}
