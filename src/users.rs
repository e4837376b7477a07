//! Creating the admin's users and API tokens: what `valgvagt user`
//! does, and what tests and the demo use.

use crate::clock::Clock;
use crate::domain::{Language, Login, LoginError, Password, PasswordError, Role};
use crate::http::admin::session::{hash_token, random_token};
use crate::store::Db;
use crate::store::users::NewUser;

/// A user to create. The team or station is named, as the secretariat
/// knows it.
pub struct UserSpec<'a> {
    pub login: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub role: &'a str,
    pub team: Option<&'a str>,
    pub station: Option<&'a str>,
    pub language: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("login: {0}")]
    Login(#[from] LoginError),
    #[error("password: {0}")]
    Password(#[from] PasswordError),
    #[error("role: {0}")]
    Role(#[from] crate::domain::RoleError),
    #[error("name: a user needs a name")]
    NoName,
    #[error("language: da or en")]
    Language,
    #[error("there is no team named {0:?}")]
    NoSuchTeam(String),
    #[error("there is no polling station named {0:?}")]
    NoSuchStation(String),
    #[error("a user with that login already exists")]
    Taken,
    #[error("there is no enabled user with that login")]
    NoSuchUser,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a user; returns the id.
pub async fn create_user(db: &Db, clock: &Clock, spec: &UserSpec<'_>) -> Result<i64, UserError> {
    create_user_as(db, clock, spec, "cli").await
}

/// The same, audited as `actor`'s doing.
pub async fn create_user_as(
    db: &Db,
    clock: &Clock,
    spec: &UserSpec<'_>,
    actor: &str,
) -> Result<i64, UserError> {
    let login = Login::parse(spec.login)?;
    let password = Password::parse(spec.password)?;
    let name = spec.name.trim();
    if name.is_empty() {
        return Err(UserError::NoName);
    }
    let language = Language::parse(spec.language).ok_or(UserError::Language)?;
    let mut tx = db.begin().await?;
    let team_id = match spec.team {
        Some(t) => Some(
            tx.teams()
                .await?
                .into_iter()
                .find(|x| x.name == t.trim())
                .ok_or_else(|| UserError::NoSuchTeam(t.to_string()))?
                .id,
        ),
        None => None,
    };
    let station_id = match spec.station {
        Some(s) => Some(
            tx.stations()
                .await?
                .into_iter()
                .find(|x| x.name == s.trim())
                .ok_or_else(|| UserError::NoSuchStation(s.to_string()))?
                .id,
        ),
        None => None,
    };
    let role = Role::parse(spec.role, team_id, station_id)?;
    let now = clock.now();
    let id = tx
        .insert_user(
            &NewUser {
                login: &login,
                name,
                password_hash: &password.hash(),
                role,
                language: language.code(),
            },
            now,
        )
        .await
        .map_err(|e| match crate::store::is_unique_violation(&e) {
            true => UserError::Taken,
            false => UserError::Db(e),
        })?;
    tx.audit(
        now,
        actor,
        "user.created",
        Default::default(),
        Some(&serde_json::json!({ "user_id": id, "role": role.name() }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// How long an API token lasts unless told otherwise.
pub const TOKEN_DAYS: i64 = 365;

/// Makes a new API token for the user with this login and returns it; the
/// database keeps only its hash. It lasts [`TOKEN_DAYS`].
pub async fn create_api_token(db: &Db, clock: &Clock, login: &str) -> Result<String, UserError> {
    create_named_api_token(db, clock, login, "API", Some(TOKEN_DAYS))
        .await
        .map(|(_, token)| token)
}

/// The same with a name (what will use it) and a lifetime in days
/// (`None`: until revoked). Returns its id and the token.
pub async fn create_named_api_token(
    db: &Db,
    clock: &Clock,
    login: &str,
    name: &str,
    days: Option<i64>,
) -> Result<(i64, String), UserError> {
    let login = Login::parse(login)?;
    let mut tx = db.begin().await?;
    let user = enabled_user(&mut tx, &login).await?;
    let token = format!("vv_{}", random_token());
    let now = clock.now();
    let expires = days.map(|d| now + chrono::Duration::days(d.clamp(1, 3650)));
    let id = tx
        .insert_api_token(&hash_token(&token), user.id, name, expires, now)
        .await?;
    tx.audit(
        now,
        "cli",
        "user.api_token_created",
        Default::default(),
        Some(&serde_json::json!({ "user_id": user.id, "token_id": id }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Revokes one API token by its id.
pub async fn revoke_api_token(
    db: &Db,
    clock: &Clock,
    id: i64,
    actor: &str,
) -> Result<bool, UserError> {
    let now = clock.now();
    let mut tx = db.begin().await?;
    let revoked = tx.revoke_api_token(id, now).await?;
    if revoked {
        tx.audit(
            now,
            actor,
            "user.api_token_revoked",
            Default::default(),
            Some(&serde_json::json!({ "token_id": id }).to_string()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// Sets a new password and ends the user's sessions.
pub async fn set_password(
    db: &Db,
    clock: &Clock,
    login: &str,
    password: &str,
) -> Result<(), UserError> {
    set_password_as(db, clock, login, password, "cli").await
}

/// The same, audited as `actor`'s doing.
pub async fn set_password_as(
    db: &Db,
    clock: &Clock,
    login: &str,
    password: &str,
    actor: &str,
) -> Result<(), UserError> {
    let login = Login::parse(login)?;
    let password = Password::parse(password)?;
    let mut tx = db.begin().await?;
    let user = enabled_user(&mut tx, &login).await?;
    tx.set_password(user.id, &password.hash()).await?;
    tx.delete_sessions_of(user.id).await?;
    tx.forget_devices_of(login.as_str()).await?;
    tx.delete_api_tokens_of(user.id).await?;
    tx.audit(
        clock.now(),
        actor,
        "user.password_set",
        Default::default(),
        Some(&serde_json::json!({ "user_id": user.id }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disables the user with this login: no more logins, sessions or API
/// tokens.
pub async fn disable(db: &Db, clock: &Clock, login: &str) -> Result<(), UserError> {
    disable_as(db, clock, login, "cli").await
}

/// The same, audited as `actor`'s doing.
pub async fn disable_as(db: &Db, clock: &Clock, login: &str, actor: &str) -> Result<(), UserError> {
    let login = Login::parse(login)?;
    let mut tx = db.begin().await?;
    let user = enabled_user(&mut tx, &login).await?;
    let now = clock.now();
    tx.disable_user(user.id, now).await?;
    tx.forget_devices_of(login.as_str()).await?;
    tx.audit(
        now,
        actor,
        "user.disabled",
        Default::default(),
        Some(&serde_json::json!({ "user_id": user.id }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl UserError {
    /// The key of its words on the admin's pages.
    pub fn key(&self) -> &'static str {
        match self {
            UserError::Login(_) => "err_user_login",
            UserError::Password(_) => "err_user_password",
            UserError::Role(crate::domain::RoleError::NoTeam) => "err_user_no_team",
            UserError::Role(crate::domain::RoleError::NoStation) => "err_user_no_station",
            UserError::Role(_) => "err_user_role",
            UserError::NoName => "err_user_name",
            UserError::Language => "err_user_language",
            UserError::NoSuchTeam(_) => "err_user_no_team",
            UserError::NoSuchStation(_) => "err_user_no_station",
            UserError::Taken => "err_user_taken",
            UserError::NoSuchUser => "err_user_gone",
            UserError::Db(_) => "err_user_gone",
        }
    }
}

async fn enabled_user(
    tx: &mut crate::store::Tx,
    login: &Login,
) -> Result<crate::store::users::UserRow, UserError> {
    let (user, _) = tx
        .user_for_login(login)
        .await?
        .ok_or(UserError::NoSuchUser)?;
    Ok(user)
}
