//! Setting up elections in the admin: elections (created, copied from the
//! last one, activated), the places and kinds of work (areas, stations,
//! teams, task types), the seats and the standby pools. Everyone who sees
//! everything may look; only the secretariat changes anything.

pub mod elections;
pub mod import;
pub mod places;
pub mod seats;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::{PageError, PageResult};

/// A form that could not be stored: the key of its words in
/// `strings.<lang>.yaml`, and what it was about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub key: &'static str,
    pub detail: Option<String>,
}

impl Problem {
    pub fn new(key: &'static str) -> Problem {
        Problem { key, detail: None }
    }

    pub fn about(key: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            key,
            detail: Some(detail.into()),
        }
    }
}

/// The eligibility rule a person fails, as a problem a page words in the
/// user's language.
pub(crate) fn rule_problem(why: &crate::domain::Ineligible, language: &str) -> Problem {
    use crate::domain::Ineligible;
    match why {
        Ineligible::Alive => Problem::new("err_rule_alive"),
        Ineligible::Age { age, min_age, on } => {
            let on = on.format("%d.%m.%Y");
            Problem::about(
                "err_rule_age",
                match language {
                    "en" => format!("{age} on {on}; at least {min_age} is required"),
                    _ => format!("{age} år den {on}; der kræves mindst {min_age}"),
                },
            )
        }
        Ineligible::Cpr => Problem::new("err_cpr_format"),
        Ineligible::Residence { lives_in, .. } => Problem::about(
            "err_rule_residence",
            match language {
                "en" => format!("municipality code {lives_in}"),
                _ => format!("kommunekode {lives_in}"),
            },
        ),
        Ineligible::Citizenship => Problem::new("err_rule_citizenship"),
        Ineligible::Guardianship => Problem::new("err_rule_guardianship"),
    }
}

/// A form's answer: on to `to` when it was stored, else the page again,
/// showing the problem, as 422.
pub(crate) async fn answer<F>(outcome: Result<String, Problem>, show: F) -> PageResult<Response>
where
    F: AsyncFnOnce(Problem) -> PageResult<axum::response::Html<String>>,
{
    match outcome {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(p) => Ok((StatusCode::UNPROCESSABLE_ENTITY, show(p).await?).into_response()),
    }
}

/// A name typed into a form: trimmed, not empty, not absurdly long.
pub(crate) fn name(s: &str) -> Result<&str, Problem> {
    let s = s.trim();
    match s.chars().count() {
        0 => Err(Problem::new("err_name_empty")),
        1..=200 => Ok(s),
        _ => Err(Problem::new("err_name_long")),
    }
}

pub(crate) use super::audited_commit as commit;

/// A store error that is the user's: a name another row has already.
pub(crate) fn taken(e: sqlx::Error, what: &str) -> Result<Problem, PageError> {
    match crate::store::is_unique_violation(&e) {
        true => Ok(Problem::about("err_name_taken", what.to_string())),
        false => Err(e.into()),
    }
}
