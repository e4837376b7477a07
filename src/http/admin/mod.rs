//! The secretariat's web admin under `/admin`: server-rendered pages, in
//! Danish or English, for logged-in users. Every page checks the user's
//! role on the server; every request that changes something carries the
//! session's CSRF token.

mod audit;
mod board;
pub mod error;
mod followup;
mod inbound;
mod login;
mod messages;
pub mod pages;
mod people;
mod person;
mod retention;
mod seat;
pub mod session;
mod setup;
mod templates;
mod tokens;
mod upload;
mod users;
pub(crate) mod when;
mod workflows;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::{Deserialize, Deserializer};

use crate::http::AppState;
use error::PageResult;
use session::Session;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/board") }))
        .route("/admin/", get(|| async { Redirect::to("/admin/board") }))
        .route("/admin/login", get(login::show).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route("/admin/language", post(login::set_language))
        .route("/admin/{*rest}", axum::routing::any(error::not_found))
        .route("/admin/board", get(board::show))
        .route("/admin/board/live", get(board::live))
        .route("/admin/seats/{id}", get(seat::show))
        .route("/admin/seats/{id}/assign", post(seat::assign))
        .route("/admin/seats/{id}/no-show", post(seat::no_show))
        .route("/admin/seats/{id}/remove", post(seat::remove))
        .route("/admin/followup", get(followup::show))
        .route(
            "/admin/followup/swaps/{id}/approve",
            post(followup::approve),
        )
        .route("/admin/followup/swaps/{id}/refuse", post(followup::refuse))
        .route(
            "/admin/followup/notifications/{id}/resolve",
            post(followup::resolve),
        )
        .route(
            "/admin/followup/notifications/resolve",
            post(followup::resolve_many),
        )
        .route("/admin/inbound", get(inbound::list))
        .route("/admin/inbound/{id}", get(inbound::show))
        .route("/admin/inbound/{id}/answer", post(inbound::answer))
        .route("/admin/audit", get(audit::show))
        .route("/admin/tokens", get(tokens::show).post(tokens::create))
        .route(
            "/admin/retention",
            get(retention::show).post(retention::save),
        )
        .route("/admin/retention/purge", post(retention::purge))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{id}/password", post(users::reset_password))
        .route("/admin/users/{id}/disable", post(users::disable))
        .route("/admin/messages", get(messages::outbox))
        .route("/admin/messages/{id}/retry", post(messages::retry))
        .route(
            "/admin/messages/new",
            get(messages::group_form).post(messages::group_submit),
        )
        .route("/admin/messages/broadcasts/{id}", get(messages::progress))
        .route(
            "/admin/messages/broadcasts/{id}/live",
            get(messages::progress_live),
        )
        .route("/admin/people", get(people::list))
        .route(
            "/admin/people/import",
            get(people::import_form).post(people::import),
        )
        .route(
            "/admin/people/new",
            get(person::new_form).post(person::create),
        )
        .route(
            "/admin/people/{id}",
            get(person::edit_form).post(person::update),
        )
        .route("/admin/people/{id}/erase", post(person::erase))
        .route("/admin/export", get(people::export))
        .merge(setup_routes())
        .route("/admin/templates", get(templates::list))
        .route("/admin/templates/preview", post(templates::preview))
        .route(
            "/admin/templates/{name}/{channel}/{language}",
            get(templates::edit).post(templates::save),
        )
        .route(
            "/admin/templates/{name}/{channel}/{language}/reset",
            post(templates::reset),
        )
        .route("/admin/workflows", get(workflows::list))
        .route("/admin/workflows/check", post(workflows::check))
        .route("/admin/workflows/{name}", get(workflows::edit))
        .route("/admin/workflows/{name}/draft", post(workflows::save_draft))
        .route("/admin/workflows/{name}/review", get(workflows::review))
        .route("/admin/workflows/{name}/publish", post(workflows::publish))
        .route("/admin/workflows/{name}/discard", post(workflows::discard))
        .route("/admin/static/admin.css", get(style))
        .route("/admin/static/admin.js", get(script))
        .layer(axum::middleware::from_fn(session::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::require_csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            error::in_users_language,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(session::MAX_FORM))
        .layer(axum::middleware::map_response(private_page))
}

/// Elections, places, seats and standby pools.
fn setup_routes() -> Router<AppState> {
    use setup::{elections, import, places, seats};
    Router::new()
        .route("/admin/setup", get(elections::show))
        .route("/admin/setup/elections", post(elections::create))
        .route("/admin/setup/elections/copy", post(elections::copy))
        .route(
            "/admin/setup/election-types/{id}",
            post(elections::set_rules),
        )
        .route(
            "/admin/setup/elections/{id}/activate",
            post(elections::activate),
        )
        .route(
            "/admin/setup/elections/{id}/deactivate",
            post(elections::deactivate),
        )
        .route("/admin/setup/elections/{id}/seats", post(seats::add))
        .route(
            "/admin/setup/elections/{id}/seats/remove",
            post(seats::remove),
        )
        .route(
            "/admin/setup/elections/{id}/standby",
            post(seats::add_standby),
        )
        .route(
            "/admin/setup/elections/{id}/standby/{entry}/remove",
            post(seats::remove_standby),
        )
        .route("/admin/setup/seats", get(seats::show))
        .route("/admin/setup/places", get(places::show))
        .route("/admin/setup/areas", post(places::area))
        .route("/admin/setup/areas/{id}", post(places::area))
        .route("/admin/setup/teams", post(places::team))
        .route("/admin/setup/teams/{id}", post(places::team))
        .route("/admin/setup/stations", post(places::station))
        .route("/admin/setup/stations/{id}", post(places::station))
        .route("/admin/setup/task-types", post(places::task_type))
        .route("/admin/setup/task-types/{id}", post(places::task_type))
        .route(
            "/admin/setup/import/{kind}",
            get(import::form).post(import::import),
        )
}

/// Pages that show personal data are not kept by browsers or proxies,
/// shown in frames, or named in a Referer elsewhere.
async fn private_page(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    let defaults = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, header::HeaderValue::from_static(value));
        }
    }
    response
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        pages::STYLE,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        pages::SCRIPT,
    )
}

/// What every admin page's layout shows: the user, the menu, the CSRF
/// token for its forms.
pub(crate) struct Frame<'a> {
    state: &'a AppState,
    session: &'a Session,
    pub context: tera::Context,
}

impl<'a> Frame<'a> {
    pub fn new(state: &'a AppState, session: &'a Session, section: &str) -> Frame<'a> {
        let mut context = tera::Context::new();
        context.insert("section", section);
        context.insert("user_name", &session.user.name);
        context.insert("role", session.role.name());
        context.insert("runs_election", &session.role.runs_election());
        context.insert("sees_everything", &session.role.sees_everything());
        context.insert("csrf", session.csrf.as_deref().unwrap_or_default());
        Frame {
            state,
            session,
            context,
        }
    }

    pub fn render(mut self, name: &str) -> PageResult<Html<String>> {
        Ok(Html(self.state.pages.render(
            name,
            self.session.language,
            &mut self.context,
        )?))
    }
}

/// Writes a change to the audit log and commits it with the change, as
/// the user's doing.
pub(crate) async fn audited_commit(
    mut tx: crate::store::Tx,
    session: &Session,
    now: chrono::DateTime<chrono::Utc>,
    action: &str,
    detail: serde_json::Value,
) -> PageResult<()> {
    tx.audit(
        now,
        &session.actor(),
        action,
        Default::default(),
        Some(&detail.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A query parameter left empty by a form's "all" choice is no filter.
pub(crate) fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}
