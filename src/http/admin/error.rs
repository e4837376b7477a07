//! What goes wrong on an admin page, each case mapped to its status and
//! shown as a page (or JSON, for the API's own callers).

use crate::domain::Language;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::session::TooManyAttempts;
use crate::http::escape_html;

#[derive(thiserror::Error)]
pub enum PageError {
    /// No session: log in, then come back to this address.
    #[error("log in first")]
    LoginNeeded(String),
    /// Logged in, but the role does not reach this.
    #[error("Din rolle giver ikke adgang til dette. / Your role does not give access to this.")]
    Forbidden,
    #[error(
        "Formularen mangler sit sikkerhedsfelt. Genindlæs siden og prøv igen. / The form is missing its security token; reload the page and try again."
    )]
    Csrf,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many failed logins")]
    TooManyAttempts(TooManyAttempts),
    #[error("Det sendte er for stort. / The request is too large.")]
    TooLarge,
    /// A field's text holds the NUL character, which PostgreSQL cannot
    /// store: the field's name.
    #[error(
        "Feltet «{0}» indeholder et NUL-tegn, som ikke kan gemmes. Ret teksten (eller gem filen som CSV UTF-8) og prøv igen. / The field «{0}» holds a NUL character, which cannot be stored."
    )]
    NulCharacter(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageError({})", self.code())
    }
}

impl PageError {
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::LoginNeeded(_) => StatusCode::SEE_OTHER,
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::NulCharacter(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            PageError::LoginNeeded(_) => "login_needed",
            PageError::Forbidden => "forbidden",
            PageError::Csrf => "csrf",
            PageError::NotFound(_) => "not_found",
            PageError::BadRequest(_) => "bad_request",
            PageError::Conflict(_) => "conflict",
            PageError::TooManyAttempts(_) => "too_many_attempts",
            PageError::TooLarge => "too_large",
            PageError::NulCharacter(_) => "nul_character",
            PageError::Internal(_) => "internal",
        }
    }
}

/// What went wrong, in plain words, by status.
fn heading(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "Noget i det sendte er ikke i orden / Something in the request is not right",
        403 => "Ingen adgang / No access",
        404 => "Siden findes ikke / The page does not exist",
        409 => "Det kan ikke lade sig gøre nu / This cannot be done now",
        413 => "For stort / Too large",
        429 => "Vent lidt / Please wait",
        _ => "Der skete en fejl / Something went wrong",
    }
}

/// What an error page says, kept on its response so that
/// [`in_users_language`] can write it again in one language.
#[derive(Clone)]
struct Said {
    status: StatusCode,
    message: String,
}

/// The half of a `Dansk / English` text in `language`; both before the
/// language is known.
fn half(text: &str, language: Option<Language>) -> &str {
    match language {
        Some(language) => super::pages::half(text, language),
        None => text,
    }
}

fn page_html(status: StatusCode, message: &str, language: Option<Language>) -> String {
    let message = escape_html(half(message, language));
    let title = half(heading(status), language);
    let home = half("Til forsiden / Home", language);
    let lang = language.unwrap_or_default().code();
    format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><link rel="stylesheet" href="/admin/static/admin.css"></head><body class="error"><main><h1>{title}</h1><p>{message}</p><p><a href="/admin">{home}</a></p></main></body></html>"#
    )
}

/// A plain page: the error pages must render even when the templates or
/// the database are what failed. Both languages, until
/// [`in_users_language`] knows which.
fn error_page(status: StatusCode, message: &str) -> Response {
    let mut r = (status, Html(page_html(status, message, None))).into_response();
    r.extensions_mut().insert(Said {
        status,
        message: message.to_string(),
    });
    r
}

/// Writes an error page in the language of the user who asked (their
/// session's, else the browser's `Accept-Language`).
pub async fn in_users_language(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(said) = response.extensions().get::<Said>().cloned() else {
        return response;
    };
    let language = match super::session::find(&state, &headers).await {
        Ok(Some(session)) => session.language,
        _ => match headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.trim_start().starts_with("en"))
        {
            true => Language::En,
            false => Language::Da,
        },
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        axum::body::Body::from(page_html(said.status, &said.message, Some(language))),
    )
}

/// Any address under `/admin` that is no page.
pub async fn not_found() -> PageError {
    PageError::NotFound(
        "Tjek adressen, eller gå til forsiden. / Check the address, or go home.".into(),
    )
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match &self {
            PageError::LoginNeeded(next) => {
                let next = form_urlencoded_component(next);
                Redirect::to(&format!("/admin/login?next={next}")).into_response()
            }
            PageError::TooManyAttempts(t) => {
                let minutes = (t.retry_after.num_seconds() + 59) / 60;
                let mut r = error_page(
                    self.status(),
                    &format!(
                        "For mange forkerte forsøg. Prøv igen om {minutes} min. / Too many failed attempts. Try again in {minutes} min."
                    ),
                );
                if let Ok(v) = (t.retry_after.num_seconds().max(60)).to_string().parse() {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            PageError::Internal(e) => {
                tracing::error!(error = %e, "admin request failed");
                error_page(self.status(), "Der skete en fejl. / Something went wrong.")
            }
            other => error_page(other.status(), &other.to_string()),
        }
    }
}

fn form_urlencoded_component(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|v| v.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError::Internal(e.into())
    }
}

impl From<crate::engine::EngineError> for PageError {
    fn from(e: crate::engine::EngineError) -> Self {
        PageError::Internal(e.into())
    }
}

impl From<tera::Error> for PageError {
    fn from(e: tera::Error) -> Self {
        PageError::Internal(anyhow::anyhow!("an admin page: {e:?}"))
    }
}

impl From<crate::http::error::ApiError> for PageError {
    fn from(e: crate::http::error::ApiError) -> Self {
        use crate::http::error::ApiError as A;
        match e {
            A::NotFound(m) => PageError::NotFound(m),
            A::Conflict(m) => PageError::Conflict(m),
            A::Unprocessable(m) | A::BadRequest(m) => PageError::BadRequest(m),
            A::BadSignature | A::Forbidden(_) => PageError::Forbidden,
            A::Unauthorized => PageError::LoginNeeded("/admin".into()),
            A::Internal(e) => PageError::Internal(e),
        }
    }
}

pub type PageResult<T> = Result<T, PageError>;
