//! The admin's users (secretariat): the list with each role and its team
//! or station; a new user, whose first password is made here and shown
//! once; a new password for a user who lost theirs (shown once; their
//! sessions and API tokens end); a user disabled, after saying so.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::Frame;
use super::error::{PageError, PageResult};
use super::session::{Session, random_token};
use crate::http::AppState;
use crate::users::{UserError, UserSpec};

/// A first or new password: 16 characters from the token alphabet.
fn new_password() -> String {
    random_token()[..16].to_string()
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    /// `disable`: ask before disabling `user`.
    #[serde(default)]
    confirm: Option<String>,
    #[serde(default)]
    user: Option<i64>,
    /// What the last action did: `disabled`.
    #[serde(default)]
    done: Option<String>,
}

/// What a page shows besides the list: a password made just now, a
/// problem with the form, the form as typed.
#[derive(Default)]
struct Shown<'a> {
    password_for: Option<(&'a str, &'a str)>,
    problem: Option<&'static str>,
    form: Option<&'a NewUserForm>,
}

async fn render(
    state: &AppState,
    session: &Session,
    q: &UsersQuery,
    shown: Shown<'_>,
) -> PageResult<Html<String>> {
    let (users, teams, stations) = {
        let mut tx = state.engine.db.read().await?;
        (tx.users().await?, tx.teams().await?, tx.stations().await?)
    };
    let rows: Vec<_> = users
        .iter()
        .map(|u| {
            let place = match (u.team_id, u.station_id) {
                (Some(t), _) => teams.iter().find(|x| x.id == t).map(|x| x.name.clone()),
                (_, Some(s)) => stations.iter().find(|x| x.id == s).map(|x| x.name.clone()),
                _ => None,
            };
            json!({
                "id": u.id,
                "login": u.login,
                "name": u.name,
                "role": format!("role_{}", u.role().name()),
                "place": place,
                "language": u.language,
                "disabled": u.disabled_at.map(super::when::local),
                "me": u.id == session.user.id,
            })
        })
        .collect();
    let confirm = match (q.confirm.as_deref(), q.user) {
        (Some("disable"), Some(id)) => users
            .iter()
            .find(|u| u.id == id && u.disabled_at.is_none() && u.id != session.user.id)
            .map(|u| json!({ "id": u.id, "name": u.name, "login": u.login })),
        _ => None,
    };
    let mut frame = Frame::new(state, session, "users");
    let c = &mut frame.context;
    c.insert("users", &rows);
    c.insert("teams", &teams);
    c.insert("stations", &stations);
    c.insert("confirm", &confirm);
    c.insert(
        "done",
        &q.done.as_deref().filter(|d| *d == "disabled").is_some(),
    );
    c.insert(
        "password_for",
        &shown
            .password_for
            .map(|(login, password)| json!({ "login": login, "password": password })),
    );
    c.insert("problem", &shown.problem);
    let empty = NewUserForm::default();
    let f = shown.form.unwrap_or(&empty);
    c.insert(
        "f",
        &json!({ "login": f.login, "name": f.name, "role": f.role, "team": f.team, "station": f.station, "language": f.language }),
    );
    frame.render("users.html")
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<UsersQuery>,
) -> PageResult<Html<String>> {
    session.must_run_election()?;
    render(&state, &session, &q, Shown::default()).await
}

#[derive(Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: String,
    /// `secretariat`, `team`, `station` or `reader`.
    #[serde(default)]
    role: String,
    /// A team's name, for a team responsible.
    #[serde(default)]
    team: String,
    /// A station's name, for a station responsible.
    #[serde(default)]
    station: String,
    #[serde(default)]
    language: String,
}

/// `POST /admin/users`: a new user; the page shows their first password
/// once.
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<NewUserForm>,
) -> PageResult<Response> {
    session.must_run_election()?;
    let password = new_password();
    let language = match form.language.trim() {
        "" => "da",
        l => l,
    };
    let spec = UserSpec {
        login: &form.login,
        name: &form.name,
        password: &password,
        role: &form.role,
        team: Some(form.team.trim()).filter(|t| !t.is_empty() && form.role == "team"),
        station: Some(form.station.trim()).filter(|s| !s.is_empty() && form.role == "station"),
        language,
    };
    let q = UsersQuery::default();
    match crate::users::create_user_as(
        &state.engine.db,
        &state.engine.clock,
        &spec,
        &session.actor(),
    )
    .await
    {
        Ok(id) => {
            tracing::info!(user = id, "user created in the admin");
            let user = user_of(&state, id).await?;
            let shown = Shown {
                password_for: Some((&user.login, &password)),
                ..Shown::default()
            };
            Ok(render(&state, &session, &q, shown).await?.into_response())
        }
        Err(UserError::Db(e)) => Err(e.into()),
        Err(e) => {
            let shown = Shown {
                problem: Some(e.key()),
                form: Some(&form),
                ..Shown::default()
            };
            let page = render(&state, &session, &q, shown).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The user `id`, if there is one.
async fn user_of(state: &AppState, id: i64) -> PageResult<crate::store::users::UserRow> {
    let mut tx = state.engine.db.read().await?;
    tx.user(id)
        .await?
        .ok_or_else(|| PageError::NotFound("Brugeren findes ikke. / There is no such user.".into()))
}

/// `POST /admin/users/{id}/password`: a new password, shown once; the
/// user's sessions and API tokens end.
pub async fn reset_password(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult<Html<String>> {
    session.must_run_election()?;
    let user = user_of(&state, id).await?;
    let password = new_password();
    match crate::users::set_password_as(
        &state.engine.db,
        &state.engine.clock,
        &user.login,
        &password,
        &session.actor(),
    )
    .await
    {
        Ok(()) => {}
        Err(UserError::NoSuchUser) => {
            return Err(PageError::Conflict(
                "Brugeren er deaktiveret. / The user is disabled.".into(),
            ));
        }
        Err(e) => return Err(PageError::Internal(e.into())),
    }
    let shown = Shown {
        password_for: Some((&user.login, &password)),
        ..Shown::default()
    };
    render(&state, &session, &UsersQuery::default(), shown).await
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    confirmed: Option<String>,
}

/// `POST /admin/users/{id}/disable`: asks first; then the user can no
/// longer log in, and their sessions and API tokens end. Nobody disables
/// themselves.
pub async fn disable(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DisableForm>,
) -> PageResult<Redirect> {
    session.must_run_election()?;
    let user = user_of(&state, id).await?;
    if user.id == session.user.id {
        return Err(PageError::Conflict(
            "Du kan ikke deaktivere dig selv. / You cannot disable yourself.".into(),
        ));
    }
    if form.confirmed.as_deref() != Some("1") {
        return Ok(Redirect::to(&format!(
            "/admin/users?confirm=disable&user={id}"
        )));
    }
    match crate::users::disable_as(
        &state.engine.db,
        &state.engine.clock,
        &user.login,
        &session.actor(),
    )
    .await
    {
        Ok(()) | Err(UserError::NoSuchUser) => Ok(Redirect::to("/admin/users?done=disabled")),
        Err(e) => Err(PageError::Internal(e.into())),
    }
}
