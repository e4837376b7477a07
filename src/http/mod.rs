//! The HTTP front: the JSON API, the SMS gateways' webhooks, the pages
//! behind links in e-mails, and the dev phone page.

pub mod admin;
mod api;
mod dev_phone;
pub mod error;
mod links;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::engine::Engine;

/// Text made safe to put in HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// The secret GatewayAPI signs its webhook calls with; webhook calls
    /// are refused when it is not set.
    pub gatewayapi_secret: Option<String>,
    /// The keyword leased on a shared short code; incoming messages start
    /// with it and it is taken off before the reply is read.
    pub gatewayapi_keyword: Option<String>,
    /// The Twilio auth token its webhook calls are signed with; they are
    /// refused when it is not set.
    pub twilio_auth_token: Option<String>,
    /// Serve the dev phone page (the dev SMS provider is in use).
    pub dev_phone: bool,
    /// The admin's pages.
    pub pages: Arc<admin::pages::Pages>,
    /// Cookies only over https (the public address is https).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the
    /// limit on failed logins).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// What one SMS part costs, in øre (`VALGVAGT_SMS_PART_PRICE`).
    pub sms_part_price_ore: Option<i64>,
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/api/elections",
            get(api::elections::list).post(api::elections::import),
        )
        .route("/api/elections/{id}", get(api::elections::show))
        .route(
            "/api/elections/{id}/activate",
            post(api::elections::activate),
        )
        .route(
            "/api/elections/{id}/deactivate",
            post(api::elections::deactivate),
        )
        .route("/api/elections/{id}/seats", get(api::seats::of_election))
        .route(
            "/api/elections/{id}/standby",
            get(api::standby::of_election),
        )
        .route("/api/standby", post(api::standby::create))
        .route("/api/stations", get(api::elections::stations))
        .route(
            "/api/stations/{id}/responsible",
            axum::routing::put(api::standby::set_responsible),
        )
        .route("/api/seats/{id}/no-show", post(api::standby::no_show))
        .route("/api/seats/{id}/remove", post(api::standby::remove))
        .route("/api/teams", get(api::elections::teams))
        .route("/api/task-types", get(api::elections::task_types))
        .route("/api/people", post(api::people::create))
        .route("/api/teams/{id}/members", post(api::people::join_team))
        .route(
            "/api/teams/{id}/members/{person}",
            axum::routing::delete(api::people::leave_team),
        )
        .route("/api/people/{id}", get(api::people::show))
        .route("/api/seats", post(api::seats::create))
        .route("/api/seats/{id}", get(api::seats::show))
        .route("/api/seats/{id}/assign", post(api::seats::assign))
        .route("/api/assignments", post(api::seats::assign_many))
        .route("/api/swap-requests", get(api::swaps::list))
        .route("/api/swap-requests/{id}/approve", post(api::swaps::approve))
        .route("/api/swap-requests/{id}/refuse", post(api::swaps::refuse))
        .route("/api/outbox", get(api::messages::outbox))
        .route("/api/outbox/counts", get(api::messages::outbox_counts))
        .route("/api/dead-letters", get(api::messages::dead_letters))
        .route("/api/dead-letters/{id}/retry", post(api::messages::retry))
        .route("/api/notifications", get(api::messages::notifications))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::session::require_api_user,
        ));
    let mut router = Router::new()
        .route("/healthz", get(api::health))
        .merge(api)
        .merge(admin::router(state.clone()))
        .route("/l/{token}", get(links::show).post(links::act))
        .route(
            "/webhooks/gatewayapi/incoming",
            post(webhooks::gatewayapi_incoming),
        )
        .route(
            "/webhooks/gatewayapi/status",
            post(webhooks::gatewayapi_status),
        )
        .route("/webhooks/twilio/incoming", post(webhooks::twilio_incoming))
        .route("/webhooks/twilio/status", post(webhooks::twilio_status));
    if state.dev_phone {
        router = router
            .route("/", get(dev_phone::index))
            .route("/dev/phone", get(dev_phone::show).post(dev_phone::reply));
    }
    router.with_state(state)
}
