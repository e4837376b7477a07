//! Who is asking: the session cookie of a logged-in browser (or an API
//! token), the CSRF token every form carries, and the limit on guessing
//! passwords.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::error::PageError;
use crate::domain::{Language, Role};
use crate::http::AppState;
use crate::store::users::UserRow;

pub const SESSION_COOKIE: &str = "valgvagt_session";
/// The CSRF token of the login form, before there is a session.
pub const LOGIN_COOKIE: &str = "valgvagt_login";
/// The form field and the header that carry the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::hours(8);
/// And this long after it began, however busy: a stolen cookie does not
/// last.
pub const LIFETIME: Duration = Duration::hours(16);
/// How stale `last_seen_at` may get before a request writes it again.
const TOUCH_AFTER: Duration = Duration::minutes(5);

/// Failed attempts for one login (from untrusted browsers, or from one
/// trusted device) before it must wait; the wait starts at a minute and
/// doubles with each further failure, up to [`LONGEST_WAIT`].
pub const FAILS_PER_LOGIN: i64 = 5;
/// The same, from one address by untrusted browsers, over all logins.
pub const FAILS_PER_ADDRESS: i64 = 20;
/// How far back failures count.
pub const GUESS_WINDOW: Duration = Duration::hours(24);
pub const LONGEST_WAIT: Duration = Duration::hours(1);
/// The cookie that marks a browser that has logged in as a user before.
pub const DEVICE_COOKIE: &str = "valgvagt_device";
/// How long a device cookie lasts.
pub const DEVICE_LIFETIME: Duration = Duration::days(180);

/// The wait after `fails` failures when `free` are allowed: none before,
/// then a minute, doubling.
fn wait_after(fails: i64, free: i64) -> Option<Duration> {
    let over = fails - free;
    (over >= 0).then(|| {
        let minutes = 1i64 << over.clamp(0, 6);
        Duration::minutes(minutes).min(LONGEST_WAIT)
    })
}

/// 32 random bytes, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HTTP only, same site, `Secure` on https.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={}", age.num_seconds().max(0)));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A logged-in user, as every admin page and API call sees them.
#[derive(Clone)]
pub struct Session {
    pub user: UserRow,
    pub role: Role,
    /// `None` for an API token, which needs none.
    pub csrf: Option<String>,
    pub language: Language,
    /// The session's token hash (`None` for an API token).
    pub token_hash: Option<String>,
}

impl Session {
    /// Refuses the request unless the role sees everything (the
    /// secretariat and readers).
    pub fn must_see_everything(&self) -> Result<(), PageError> {
        match self.role.sees_everything() {
            true => Ok(()),
            false => Err(PageError::Forbidden),
        }
    }

    /// Refuses the request unless the role runs the election.
    pub fn must_run_election(&self) -> Result<(), PageError> {
        match self.role.runs_election() {
            true => Ok(()),
            false => Err(PageError::Forbidden),
        }
    }

    /// The actor of audit events.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.id)
    }

    fn from_user(user: UserRow, csrf: Option<String>, token_hash: Option<String>) -> Session {
        Session {
            role: user.role(),
            language: Language::parse(&user.language).unwrap_or_default(),
            user,
            csrf,
            token_hash,
        }
    }
}

/// Finds the session of a request: an API bearer token or the cookie. An
/// active session is kept alive for another [`IDLE`].
pub async fn find(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, PageError> {
    let engine = &state.engine;
    let now = engine.clock.now();
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        let hash = hash_token(token.trim());
        let found = {
            let mut tx = engine.db.read().await?;
            tx.user_for_api_token(&hash, now).await?
        };
        let Some((user, last_used)) = found else {
            return Ok(None);
        };
        if last_used.is_none_or(|at| now - at > TOUCH_AFTER) {
            let mut tx = engine.db.begin().await?;
            tx.touch_api_token(&hash, now).await?;
            tx.commit().await?;
        }
        return Ok(Some(Session::from_user(user, None, None)));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = hash_token(token);
    let found = {
        let mut tx = engine.db.read().await?;
        tx.session(&hash, now).await?
    };
    let Some(found) = found else {
        return Ok(None);
    };
    if now - found.last_seen_at > TOUCH_AFTER {
        let mut tx = engine.db.begin().await?;
        let ends = (now + IDLE).min(found.created_at + LIFETIME);
        tx.touch_session(&hash, now, ends).await?;
        tx.commit().await?;
    }
    Ok(Some(Session::from_user(
        found.user,
        Some(found.csrf_token),
        Some(hash),
    )))
}

/// Every admin page but the login page needs a session; without one the
/// browser is sent to log in and come back.
impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        match find(state, &parts.headers).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/admin");
                Err(PageError::LoginNeeded(next.to_string()).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Refuses a request that changes something (anything but GET and HEAD)
/// unless it carries the session's CSRF token, in the `X-CSRF-Token`
/// header or the form's `_csrf` field. The login form is checked against
/// its own cookie by its handler. A session found here is handed on.
pub async fn require_csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD)
        || request.uri().path() == "/admin/login"
    {
        return next.run(request).await;
    }
    let session = match find(&state, request.headers()).await {
        Ok(Some(s)) => s,
        Ok(None) => return PageError::LoginNeeded("/admin".into()).into_response(),
        Err(e) => return e.into_response(),
    };
    let Some(expected) = session.csrf.clone() else {
        // An API token is not a browser: there is nothing to forge.
        let mut request = request;
        request.extensions_mut().insert(session);
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let header_token = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (token, body) = match header_token {
        Some(t) => (Some(t), body),
        None => {
            let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
                Ok(b) => b,
                Err(_) => return PageError::TooLarge.into_response(),
            };
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let token = match content_type.starts_with("multipart/form-data") {
                true => multipart_field(&content_type, bytes.clone(), CSRF_FIELD).await,
                false => form_field(&bytes, CSRF_FIELD),
            };
            (token, axum::body::Body::from(bytes))
        }
    };
    if !token.is_some_and(|t| same_secret(&t, &expected)) {
        tracing::warn!(user = session.user.id, path = %parts.uri.path(), "refused a request without the session's CSRF token");
        return PageError::Csrf.into_response();
    }
    parts.extensions.insert(session);
    next.run(Request::from_parts(parts, body)).await
}

/// Refuses a form whose text holds the NUL character (PostgreSQL cannot
/// store it; SQLite would), naming the field, before any handler reads it.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => return PageError::TooLarge.into_response(),
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let field = if content_type.starts_with("multipart/form-data") {
        bytes.iter().position(|b| *b == 0).map(|at| {
            // The part the NUL is in: the last `name="…"` before it.
            let before = String::from_utf8_lossy(&bytes[..at]);
            before
                .rsplit_once("name=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map_or_else(|| "fil".to_string(), |(name, _)| name.to_string())
        })
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, v)| k.contains('\0') || v.contains('\0'))
                    .map(|(k, _)| k.replace('\0', "\\0"))
            })
    } else {
        bytes.contains(&0).then(|| "body".to_string())
    };
    if let Some(field) = field {
        return PageError::NulCharacter(field).into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// The JSON API needs a user: an API token (`Authorization: Bearer`), or
/// a browser's session with its CSRF token in `X-CSRF-Token` for anything
/// but a read. Readers may read; only the secretariat may change things.
pub async fn require_api_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    use crate::http::error::ApiError;
    let session = match find(&state, request.headers()).await {
        Ok(Some(s)) => s,
        Ok(None) => return ApiError::Unauthorized.into_response(),
        Err(e) => return ApiError::Internal(anyhow::anyhow!("{e}")).into_response(),
    };
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    let allowed = match reads {
        true => session.role.sees_everything(),
        false => session.role.runs_election(),
    };
    if !allowed {
        return ApiError::Forbidden(format!(
            "the role {} may not {} through the API",
            session.role.name(),
            if reads { "read" } else { "change anything" }
        ))
        .into_response();
    }
    if !reads && let Some(expected) = &session.csrf {
        let sent = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok());
        if !sent.is_some_and(|t| same_secret(t, expected)) {
            return ApiError::Forbidden("the X-CSRF-Token header is missing or wrong".into())
                .into_response();
        }
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// The largest form the admin takes (a CSV file of people, pasted).
pub const MAX_FORM: usize = 16 * 1024 * 1024;

/// The value of the text field `name` of a `multipart/form-data` body (a
/// form that uploads a file).
async fn multipart_field(
    content_type: &str,
    body: axum::body::Bytes,
    name: &str,
) -> Option<String> {
    use axum::extract::FromRequest;
    let request = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body))
        .ok()?;
    let mut form = axum::extract::Multipart::from_request(request, &())
        .await
        .ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// The first value of `name` in an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// The address a login comes from: the peer's, or behind a trusted
/// reverse proxy the last address it added to `X-Forwarded-For`. IPv6
/// addresses count per /64, what one home or office gets.
pub fn client_address(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let ip = match trusted.contains(&peer) {
        true => headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back()
            .unwrap_or(peer),
        false => peer,
    };
    match ip {
        std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        v4 => v4.to_string(),
    }
}

/// Why a login was refused before its password was looked at.
pub struct TooManyAttempts {
    pub retry_after: Duration,
}

/// Refuses a login that comes after too many failed ones for the same
/// login or from the same address.
pub async fn check_guessing(
    tx: &mut crate::store::Tx,
    login: &str,
    ip: &str,
    device: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), PageError> {
    let (by_login, by_ip, last) = tx
        .failed_logins(login, ip, device, now - GUESS_WINDOW)
        .await?;
    let wait = [
        wait_after(by_login, FAILS_PER_LOGIN),
        wait_after(by_ip, FAILS_PER_ADDRESS),
    ]
    .into_iter()
    .flatten()
    .max();
    if let (Some(wait), Some(last)) = (wait, last)
        && now < last + wait
    {
        return Err(PageError::TooManyAttempts(TooManyAttempts {
            retry_after: (last + wait - now).max(Duration::seconds(1)),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_starts_at_a_minute_and_doubles_to_an_hour() {
        assert_eq!(wait_after(4, 5), None);
        assert_eq!(wait_after(5, 5), Some(Duration::minutes(1)));
        assert_eq!(wait_after(6, 5), Some(Duration::minutes(2)));
        assert_eq!(wait_after(9, 5), Some(Duration::minutes(16)));
        assert_eq!(wait_after(40, 5), Some(LONGEST_WAIT));
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; valgvagt_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn the_address_behind_a_trusted_proxy_is_the_one_it_forwarded_and_ipv6_counts_per_64() {
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(client_address(proxy, &h, &[proxy]), "198.51.100.7");
        assert_eq!(
            client_address(proxy, &h, &[]),
            "127.0.0.1",
            "an untrusted peer is itself"
        );
        let v6: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        assert_eq!(
            client_address(v6, &HeaderMap::new(), &[]),
            "2001:db8:1:2::/64"
        );
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn the_csrf_field_is_read_from_a_form_body() {
        assert_eq!(
            form_field(b"person_id=3&_csrf=x%2By", CSRF_FIELD).as_deref(),
            Some("x+y")
        );
        assert_eq!(form_field(b"person_id=3", CSRF_FIELD), None);
    }
}
