//! The seat filter of a scheduled workflow's `for_each:`:
//! `seat where status = confirmed and task_type = "Valgstyrer" and checked_in = no`,
//! `seat where date = election_day and status = confirmed or status = invited`.
//! `and` binds tighter than `or`.

use chrono::NaiveDate;

use super::model::{FilterDate, SeatConditions, SeatFilter, SeatStatus};
use super::suggest::{did_you_mean, did_you_mean_help, list};

/// Why a filter does not read, and where in its text (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub offset: usize,
    pub message: String,
    pub help: Option<String>,
}

const FIELDS: [&str; 4] = ["status", "task_type", "checked_in", "date"];
const DATES: [(&str, FilterDate); 3] = [
    ("election_day", FilterDate::ElectionDay),
    ("starts_on", FilterDate::StartsOn),
    ("ends_on", FilterDate::EndsOn),
];
/// The most alternatives one filter may join with `or`.
pub const MAX_ALTERNATIVES: usize = 8;
const STATUSES: [(&str, SeatStatus); 3] = [
    ("vacant", SeatStatus::Vacant),
    ("invited", SeatStatus::Invited),
    ("confirmed", SeatStatus::Confirmed),
];
const FORM: &str = "write e.g. `seat where status = confirmed and task_type = \"Valgstyrer\"`";

/// A word of the filter and the character offset it starts at.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    at: usize,
    quoted: bool,
}

fn words(text: &str) -> Result<Vec<Word>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let start = i;
            let end = chars[i + 1..]
                .iter()
                .position(|c| *c == '"')
                .ok_or_else(|| FilterError {
                    offset: start,
                    message: "the quoted name is not closed".into(),
                    help: Some("end the name with a `\"`".into()),
                })?;
            out.push(Word {
                text: chars[i + 1..i + 1 + end].iter().collect(),
                at: start,
                quoted: true,
            });
            i += end + 2;
        } else if c == '=' {
            out.push(Word {
                text: "=".into(),
                at: i,
                quoted: false,
            });
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '=' | '"') {
                i += 1;
            }
            out.push(Word {
                text: chars[start..i].iter().collect(),
                at: start,
                quoted: false,
            });
        }
    }
    Ok(out)
}

fn error(at: usize, message: String, help: Option<String>) -> FilterError {
    FilterError {
        offset: at,
        message,
        help,
    }
}

/// Reads a filter; `seat` alone selects every seat.
pub fn parse_filter(text: &str) -> Result<SeatFilter, FilterError> {
    let words = words(text)?;
    let end = text.chars().count();
    let mut it = words.iter().peekable();
    match it.next() {
        Some(w) if w.text == "seat" && !w.quoted => {}
        Some(w) => {
            return Err(error(
                w.at,
                format!("a filter starts with `seat`, not `{}`", w.text),
                Some(FORM.into()),
            ));
        }
        None => return Err(error(0, "the filter is empty".into(), Some(FORM.into()))),
    }
    let mut filter = SeatFilter::default();
    let mut current = SeatConditions::default();
    let Some(w) = it.next() else {
        return Ok(filter);
    };
    if w.text != "where" {
        return Err(error(
            w.at,
            format!(
                "`{}` cannot follow `seat`; conditions start with `where`",
                w.text
            ),
            Some(FORM.into()),
        ));
    }
    loop {
        let field = it.next().ok_or_else(|| {
            error(
                end,
                "a condition is missing after the last word".into(),
                Some(FORM.into()),
            )
        })?;
        if !FIELDS.contains(&field.text.as_str()) {
            let help = match did_you_mean(&field.text, FIELDS) {
                Some(s) => did_you_mean_help(s),
                None => format!("a seat can be filtered on {}", list(FIELDS, "and")),
            };
            return Err(error(
                field.at,
                format!(
                    "`{}` is not something a seat can be filtered on",
                    field.text
                ),
                Some(help),
            ));
        }
        match it.next() {
            Some(eq) if eq.text == "=" && !eq.quoted => {}
            Some(other) => {
                return Err(error(
                    other.at,
                    format!(
                        "expected `=` after `{}`, found `{}`",
                        field.text, other.text
                    ),
                    Some(FORM.into()),
                ));
            }
            None => {
                return Err(error(
                    end,
                    format!("`{}` needs `= …` after it", field.text),
                    Some(FORM.into()),
                ));
            }
        }
        let value = it.next().ok_or_else(|| {
            error(
                end,
                format!("`{} =` needs a value", field.text),
                Some(FORM.into()),
            )
        })?;
        let twice = || {
            error(
                field.at,
                format!("`{}` is given twice", field.text),
                Some("a seat has one value of each; keep one condition".into()),
            )
        };
        match field.text.as_str() {
            "status" => {
                let status = STATUSES
                    .iter()
                    .find(|(n, _)| *n == value.text)
                    .map(|(_, s)| *s)
                    .ok_or_else(|| {
                        let names = STATUSES.map(|(n, _)| n);
                        let help = match did_you_mean(&value.text, names) {
                            Some(s) => did_you_mean_help(s),
                            None => format!("a seat is {}", list(names, "or")),
                        };
                        error(
                            value.at,
                            format!("`{}` is not a seat status", value.text),
                            Some(help),
                        )
                    })?;
                if current.status.replace(status).is_some() {
                    return Err(twice());
                }
            }
            "task_type" => {
                if current.task_type.replace(value.text.clone()).is_some() {
                    return Err(twice());
                }
            }
            "date" => {
                let date = date(value)?;
                if current.date.replace(date).is_some() {
                    return Err(twice());
                }
            }
            _ => {
                let yes = match value.text.as_str() {
                    "yes" | "true" => true,
                    "no" | "false" => false,
                    other => {
                        return Err(error(
                            value.at,
                            format!("`checked_in` is `yes` or `no`, not `{other}`"),
                            None,
                        ));
                    }
                };
                if current.checked_in.replace(yes).is_some() {
                    return Err(twice());
                }
            }
        }
        match it.next() {
            None => {
                filter.any.push(current);
                return Ok(filter);
            }
            Some(w) if w.text == "and" && !w.quoted => {}
            Some(w) if w.text == "or" && !w.quoted => {
                filter.any.push(std::mem::take(&mut current));
                if filter.any.len() >= MAX_ALTERNATIVES {
                    return Err(error(
                        w.at,
                        format!(
                            "a filter has at most {MAX_ALTERNATIVES} alternatives joined by `or`"
                        ),
                        Some("select fewer kinds of seats, or split the workflow in two".into()),
                    ));
                }
            }
            Some(w) => {
                let help = if value.text.contains(' ') || value.quoted {
                    FORM.to_string()
                } else {
                    "join conditions with `and` or `or`; put a name with spaces in double quotes"
                        .to_string()
                };
                return Err(error(
                    w.at,
                    format!(
                        "expected `and`, `or` or the end of the filter, found `{}`",
                        w.text
                    ),
                    Some(help),
                ));
            }
        }
    }
}

/// `election_day`, `starts_on`, `ends_on` or a date like `2029-11-19`.
fn date(value: &Word) -> Result<FilterDate, FilterError> {
    if let Some((_, d)) = DATES.iter().find(|(n, _)| *n == value.text) {
        return Ok(*d);
    }
    if let Ok(day) = NaiveDate::parse_from_str(&value.text, "%Y-%m-%d") {
        return Ok(FilterDate::On(day));
    }
    let names = DATES.map(|(n, _)| n);
    let help = match did_you_mean(&value.text, names) {
        Some(s) => did_you_mean_help(s),
        None => format!(
            "a date is {} or a date like `2029-11-19`",
            list(names, "or")
        ),
    };
    Err(error(
        value.at,
        format!("`{}` is not a date", value.text),
        Some(help),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_alone_selects_every_seat() {
        assert_eq!(parse_filter("seat").unwrap(), SeatFilter::default());
    }

    #[test]
    fn conditions_joined_with_and_all_apply() {
        let f = parse_filter(
            r#"seat where status = confirmed and task_type = "Tilforordnet vælgere" and checked_in = no"#,
        )
        .unwrap();
        assert_eq!(f.any.len(), 1);
        assert_eq!(f.any[0].status, Some(SeatStatus::Confirmed));
        assert_eq!(f.any[0].task_type.as_deref(), Some("Tilforordnet vælgere"));
        assert_eq!(f.any[0].checked_in, Some(false));
        assert_eq!(
            parse_filter("seat where status=invited").unwrap().any[0].status,
            Some(SeatStatus::Invited)
        );
    }

    #[test]
    fn a_misspelt_status_is_pointed_at_with_a_suggestion() {
        let e = parse_filter("seat where status = confimed").unwrap_err();
        assert_eq!(e.offset, 20);
        assert_eq!(e.message, "`confimed` is not a seat status");
        assert_eq!(e.help.as_deref(), Some("did you mean `confirmed`?"));
    }

    #[test]
    fn an_unknown_field_a_missing_value_and_a_missing_and_are_each_explained() {
        let e = parse_filter("seat where staus = confirmed").unwrap_err();
        assert_eq!(
            (e.offset, e.help.as_deref()),
            (11, Some("did you mean `status`?"))
        );
        let e = parse_filter("seat where status =").unwrap_err();
        assert_eq!(e.message, "`status =` needs a value");
        let e = parse_filter("seat where task_type = Tilforordnet vælgere").unwrap_err();
        assert!(e.message.contains("found `vælgere`"), "{e:?}");
        assert!(e.help.unwrap().contains("double quotes"));
        let e = parse_filter("seats where status = confirmed").unwrap_err();
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn or_joins_alternatives_and_binds_looser_than_and() {
        let f = parse_filter(
            "seat where date = election_day and status = confirmed or status = invited and date = 2029-11-19",
        )
        .unwrap();
        assert_eq!(f.any.len(), 2);
        assert_eq!(f.any[0].date, Some(FilterDate::ElectionDay));
        assert_eq!(f.any[0].status, Some(SeatStatus::Confirmed));
        assert_eq!(
            f.any[1].date,
            Some(FilterDate::On(
                NaiveDate::from_ymd_opt(2029, 11, 19).unwrap()
            ))
        );
        assert_eq!(f.any[1].status, Some(SeatStatus::Invited));
        // The same field in two alternatives is not given twice.
        assert!(parse_filter("seat where status = confirmed or status = invited").is_ok());
        assert!(parse_filter("seat").unwrap().any.is_empty());
    }

    #[test]
    fn a_bad_date_and_too_many_alternatives_are_explained() {
        let e = parse_filter("seat where date = electon_day").unwrap_err();
        assert_eq!(e.offset, 18);
        assert_eq!(e.help.as_deref(), Some("did you mean `election_day`?"));
        let e = parse_filter("seat where date = 2029-13-40").unwrap_err();
        assert_eq!(e.message, "`2029-13-40` is not a date");
        let many = ["status = confirmed"; MAX_ALTERNATIVES + 1].join(" or ");
        let e = parse_filter(&format!("seat where {many}")).unwrap_err();
        assert!(e.message.contains("at most 8"), "{e:?}");
        let e = parse_filter("seat where status = confirmed or").unwrap_err();
        assert_eq!(e.message, "a condition is missing after the last word");
    }
}
