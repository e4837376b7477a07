//! PostgreSQL going away in the middle of a fan-out (a restart, a
//! failover): `/healthz` says degraded meanwhile, the workers come back by
//! themselves, and no message is lost or sent twice unmarked.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use support::builders::{assign, election, people};
use support::proxy::TcpProxy;
use support::{Backend, Setup, TestApp};

/// The `host:port` of a PostgreSQL URL.
fn server_of(url: &str) -> SocketAddr {
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().expect("an authority");
    authority.parse().expect("host:port")
}

async fn health(app: &TestApp) -> (u16, serde_json::Value) {
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// Asks `/healthz` until it answers `status`, for up to 30 s.
async fn health_becomes(app: &TestApp, status: u16) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (s, body) = health(app).await;
        if s == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz still answers {s}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_mid_fan_out_loses_nothing_and_health_says_degraded() {
    let Some(mut setup) = Setup::new(Backend::Postgres).await else {
        return;
    };
    let server = server_of(&setup.config.database_url);
    let proxy = TcpProxy::start(server).await;
    setup.config.database_url = setup
        .config
        .database_url
        .replace(&server.to_string(), &proxy.addr.to_string());
    let app = setup.start().await;
    let (status, body) = health(&app).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    let e = election(&app, 30).await;
    let people = people(&app, 30, "3300").await;
    // Each gateway call takes a while: the fan-out is under way when the
    // database goes.
    app.fake.set_latency(Duration::from_millis(300));
    for (seat, (p, _)) in e.seats.iter().zip(&people) {
        assign(&app, *seat, *p).await;
    }
    assert!(app.fake.wait_for(1, Duration::from_secs(20)).await);
    proxy.cut();
    let body = health_becomes(&app, 503).await;
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["problem"], "the database does not answer");

    // The outage lasts beyond the calls in flight: their results wait.
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();
    health_becomes(&app, 200).await;
    app.fake.set_latency(Duration::ZERO);
    // Whatever the outage left claimed or queued comes back within the
    // lease at the latest.
    app.tick().await;
    app.advance(chrono::Duration::minutes(6)).await;
    app.advance(chrono::Duration::minutes(6)).await;

    let mut times = HashMap::<u64, usize>::new();
    for r in app.fake.received() {
        *times.entry(r.msisdn).or_default() += 1;
    }
    assert_eq!(times.len(), 30, "every invitation reached the gateway");
    let counts = app.get_json("/api/outbox/counts").await;
    assert_eq!(counts["sent"], 30, "{counts}");
    let doubled = times.values().filter(|n| **n > 1).count();
    assert!(
        doubled as i64 <= counts["maybe_doubled"].as_i64().unwrap(),
        "{doubled} sent twice, {counts}"
    );
    assert!(doubled <= 16, "at most the calls in flight: {doubled}");
}
