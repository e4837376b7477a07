//! Retention in the admin (secretariat): how long message texts, the audit
//! log and people are kept, what a purge would take now (per kind and per
//! election), and purging now instead of waiting for the daily run.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::Frame;
use super::error::PageResult;
use super::session::Session;
use crate::http::AppState;
use crate::retention::{DAYS, MONTHS};
use crate::store::retention::Policy;

#[derive(Deserialize, Default)]
pub struct Shown {
    /// `saved`, `purged` or `confirm`: what the page says at the top.
    #[serde(default)]
    done: Option<String>,
}

#[derive(Deserialize, Default, serde::Serialize)]
pub struct PolicyForm {
    #[serde(default)]
    message_months: String,
    #[serde(default)]
    audit_months: String,
    #[serde(default)]
    people_days: String,
}

async fn render(
    state: &AppState,
    session: &Session,
    form: Option<&PolicyForm>,
    errors: &[&str],
    done: Option<&str>,
) -> PageResult<Html<String>> {
    let preview = crate::retention::preview(&state.engine.db, state.engine.clock.now()).await?;
    let shown = match form {
        Some(f) => json!(f),
        None => json!({
            "message_months": preview.policy.message_months.to_string(),
            "audit_months": preview.policy.audit_months.to_string(),
            "people_days": preview.policy.people_days.to_string(),
        }),
    };
    let mut frame = Frame::new(state, session, "retention");
    let c = &mut frame.context;
    c.insert("f", &shown);
    c.insert("errors", errors);
    c.insert("preview", &preview);
    let next_run = preview.next_run.map(super::when::local);
    c.insert("next_run", &next_run);
    // Only the notes the handlers name, never free text.
    c.insert(
        "done",
        &done.filter(|d| ["saved", "purged", "confirm"].contains(d)),
    );
    frame.render("retention.html")
}

/// `GET /admin/retention`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Shown>,
) -> PageResult<Html<String>> {
    session.must_run_election()?;
    render(&state, &session, None, &[], q.done.as_deref()).await
}

/// `POST /admin/retention`: a new policy, each number within its bounds,
/// audited.
pub async fn save(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<PolicyForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let number = |text: &str, range: &std::ops::RangeInclusive<i32>| {
        text.trim()
            .parse::<i32>()
            .ok()
            .filter(|n| range.contains(n))
    };
    let parsed = (
        number(&form.message_months, &MONTHS),
        number(&form.audit_months, &MONTHS),
        number(&form.people_days, &DAYS),
    );
    let (Some(message_months), Some(audit_months), Some(people_days)) = parsed else {
        let mut errors = Vec::new();
        for (field, ok) in [
            ("message_months", parsed.0.is_some()),
            ("audit_months", parsed.1.is_some()),
            ("people_days", parsed.2.is_some()),
        ] {
            if !ok {
                errors.push(field);
            }
        }
        let page = render(&state, &session, Some(&form), &errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let policy = Policy {
        message_months,
        audit_months,
        people_days,
    };
    let mut tx = state.engine.db.begin().await?;
    tx.set_retention_policy(&policy).await?;
    tx.audit(
        state.engine.clock.now(),
        &session.actor(),
        "retention.policy_changed",
        Default::default(),
        Some(&json!(policy).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/retention?done=saved").into_response())
}

#[derive(Deserialize)]
pub struct PurgeForm {
    /// The box that says it cannot be undone, ticked.
    #[serde(default)]
    understood: Option<String>,
}

/// `POST /admin/retention/purge`: the purge now, audited as the user.
pub async fn purge(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<PurgeForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    if form.understood.is_none() {
        return Ok(Redirect::to("/admin/retention?done=confirm").into_response());
    }
    let counts =
        crate::retention::purge(&state.engine.db, state.engine.clock.now(), &session.actor())
            .await?;
    tracing::info!(
        user = session.user.id,
        people = counts.people,
        "retention purge from the admin"
    );
    Ok(Redirect::to("/admin/retention?done=purged").into_response())
}
