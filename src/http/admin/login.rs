//! Logging in and out, and the language of the pages.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::{PageError, PageResult};
use super::session::{
    self, DEVICE_COOKIE, DEVICE_LIFETIME, IDLE, LOGIN_COOKIE, SESSION_COOKIE, Session,
    check_guessing, cookie, hash_token, random_token, same_secret, set_cookie,
};
use crate::domain::{Language, Login};
use crate::http::AppState;

#[derive(Deserialize)]
pub struct Next {
    pub next: Option<String>,
    pub lang: Option<String>,
}

/// Only an address inside the admin: a login form must not send anyone
/// elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin")
                && !n.starts_with("/admin/login")
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/admin".to_string(),
    }
}

fn login_page(
    state: &AppState,
    language: Language,
    next: &str,
    error: Option<&str>,
    login: &str,
) -> PageResult<Response> {
    let token = random_token();
    let mut context = tera::Context::new();
    context.insert("csrf", &token);
    context.insert("next", next);
    context.insert(
        "next_q",
        &serde_urlencoded::to_string([("", next)])
            .unwrap_or_default()
            .trim_start_matches('=')
            .to_string(),
    );
    context.insert("error", &error);
    context.insert("login", login);
    let html = state.pages.render("login.html", language, &mut context)?;
    let status = match error {
        Some("too_many") => axum::http::StatusCode::TOO_MANY_REQUESTS,
        Some(_) => axum::http::StatusCode::UNAUTHORIZED,
        None => axum::http::StatusCode::OK,
    };
    Ok((
        status,
        [
            (
                header::SET_COOKIE,
                set_cookie(
                    LOGIN_COOKIE,
                    &token,
                    Some(chrono::Duration::hours(1)),
                    state.secure_cookies,
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Html(html),
    )
        .into_response())
}

pub async fn show(State(state): State<AppState>, Query(q): Query<Next>) -> PageResult<Response> {
    let language = q
        .lang
        .as_deref()
        .and_then(Language::parse)
        .unwrap_or_default();
    login_page(&state, language, &safe_next(q.next.as_deref()), None, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub next: Option<String>,
    pub lang: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult<Response> {
    let language = form
        .lang
        .as_deref()
        .and_then(Language::parse)
        .unwrap_or_default();
    let next = safe_next(form.next.as_deref());
    // The login form's own token, against its cookie (double submit).
    if !cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !form.csrf.is_empty() && same_secret(c, &form.csrf))
    {
        return Err(PageError::Csrf);
    }
    let ip = session::client_address(peer.ip(), &headers, &state.trusted_proxies);
    let engine = &state.engine;
    let now = engine.clock.now();
    let Ok(login) = Login::parse(&form.login) else {
        return login_page(&state, language, &next, Some("wrong"), "");
    };
    let typed = login.as_str().to_string();
    // A browser that has logged in as this user before is counted apart:
    // someone guessing elsewhere cannot lock it out.
    let device = match cookie(&headers, DEVICE_COOKIE).map(hash_token) {
        Some(hash) => {
            let mut tx = engine.db.read().await?;
            tx.is_trusted_device(&hash, &typed, now - DEVICE_LIFETIME)
                .await?
                .then_some(hash)
        }
        None => None,
    };
    // The attempt is counted as failed before the password is looked at,
    // in a transaction that serialises attempts on the same login: a burst
    // of guesses sent at once cannot all pass the count.
    let attempt = {
        let mut tx = engine.db.begin().await?;
        tx.serialise_on(&typed).await?;
        match check_guessing(&mut tx, &typed, &ip, device.as_deref(), now).await {
            Err(PageError::TooManyAttempts(_)) => {
                drop(tx);
                tracing::warn!("login refused: too many failed attempts");
                return login_page(&state, language, &next, Some("too_many"), &form.login);
            }
            other => other?,
        }
        tx.forget_login_attempts_before(now - chrono::Duration::days(1))
            .await?;
        let id = tx
            .record_login_attempt(&typed, &ip, device.as_deref(), now)
            .await?;
        tx.commit().await?;
        id
    };
    let found = {
        let mut tx = engine.db.read().await?;
        tx.user_for_login(&login).await?
    };
    // Verify against a hash even for an unknown login, so the answer's
    // timing does not tell which logins exist.
    let ok = match &found {
        Some((_, hash)) => crate::domain::account::verify_password(&form.password, hash),
        None => {
            crate::domain::account::verify_password(&form.password, dummy_hash());
            false
        }
    };
    let user = match (ok, found) {
        (true, Some((user, _))) => user,
        _ => {
            tracing::info!("login failed");
            return login_page(&state, language, &next, Some("wrong"), &form.login);
        }
    };
    let mut tx = engine.db.begin().await?;
    tx.login_attempt_succeeded(attempt).await?;
    // A browser new to this user is trusted from now on.
    let new_device = match device {
        Some(_) => None,
        None => {
            let token = random_token();
            tx.trust_device(&hash_token(&token), &typed, now).await?;
            Some(token)
        }
    };
    tx.delete_expired_sessions(now).await?;
    let token = random_token();
    tx.insert_session(
        &hash_token(&token),
        user.id,
        &random_token(),
        now,
        now + IDLE,
    )
    .await?;
    tx.audit(
        now,
        &format!("user:{}", user.id),
        "user.logged_in",
        Default::default(),
        None,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user = user.id, "logged in");
    let mut cookies = vec![
        (
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, &token, None, state.secure_cookies),
        ),
        (
            header::SET_COOKIE,
            set_cookie(
                LOGIN_COOKIE,
                "",
                Some(chrono::Duration::zero()),
                state.secure_cookies,
            ),
        ),
    ];
    if let Some(device) = new_device {
        cookies.push((
            header::SET_COOKIE,
            set_cookie(
                DEVICE_COOKIE,
                &device,
                Some(DEVICE_LIFETIME),
                state.secure_cookies,
            ),
        ));
    }
    Ok((axum::response::AppendHeaders(cookies), Redirect::to(&next)).into_response())
}

/// A hash of nothing anyone types, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash(random_token()))
}

pub async fn logout(State(state): State<AppState>, session: Session) -> PageResult<Response> {
    if let Some(hash) = &session.token_hash {
        let mut tx = state.engine.db.begin().await?;
        tx.delete_session(hash).await?;
        tx.commit().await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(
                SESSION_COOKIE,
                "",
                Some(chrono::Duration::zero()),
                state.secure_cookies,
            ),
        )],
        Redirect::to("/admin/login"),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LanguageForm {
    pub language: String,
    pub back: Option<String>,
}

pub async fn set_language(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<LanguageForm>,
) -> PageResult<Redirect> {
    let language = Language::parse(&form.language)
        .ok_or_else(|| PageError::BadRequest("language: da or en".into()))?;
    let mut tx = state.engine.db.begin().await?;
    tx.set_user_language(session.user.id, language.code())
        .await?;
    tx.commit().await?;
    Ok(Redirect::to(&safe_next(form.back.as_deref())))
}
