//! A process that dies in the middle of delivering never loses a message;
//! it can send again at most the gateway calls it had in flight, and those
//! are marked as possibly sent twice.

mod support;

use chrono::Duration;
use support::builders::{election, person};
use support::{Backend, Setup};

async fn crash_between_commit_and_gateway_call(backend: Backend) {
    let Some(setup) = Setup::new(backend).await else {
        return;
    };
    // Set up the election with the service running, then stop it.
    let mut app = setup.start().await;
    let e = election(&app, 1).await;
    let anna = person().create(&app).await;
    app.stop().await;

    // The engine alone assigns: the invitation and its delivery job are
    // committed, but no worker runs. Then a delivery attempt claims the
    // message and the process dies before it reaches the gateway.
    let engine = Setup::engine_of(&app.config).await;
    engine
        .assign(e.seats[0], anna, "test")
        .await
        .expect("assign");
    let mut tx = engine.db.begin().await.unwrap();
    let outbox = tx.messages(None, None, 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let claimed = tx
        .claim_messages(&[outbox[0].id], app.clock.now(), &engine.process.id)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tx.commit().await.unwrap();
    engine.db.close().await;
    drop(engine);
    assert_eq!(app.fake.count(), 0);

    // Restarted on the same host: the former start is dead, so its claim
    // is released at once, sent, and marked as possibly sent (the call may
    // have been made).
    app.restart().await;
    app.settle().await;
    app.tick().await;
    let received = app.fake.received();
    assert_eq!(received.len(), 1, "sent at once after the restart");
    assert_eq!(
        received[0].userref.as_deref(),
        Some(outbox[0].idempotency_key.as_str())
    );
    app.advance(Duration::minutes(6)).await;
    app.restart().await;
    app.advance(Duration::minutes(6)).await;
    assert_eq!(app.fake.count(), 1, "and only once");
    let outbox = app.get_json("/api/outbox").await;
    assert_eq!(outbox[0]["status"], "sent");
    assert_eq!(outbox[0]["maybe_sent"], true);
}

/// A process killed with gateway calls in flight: what had returned before
/// is recorded and not sent again; the calls in flight are made again and
/// are the only doubles, each marked and counted.
async fn killed_with_calls_in_flight(backend: Backend) {
    let Some(setup) = Setup::new(backend).await else {
        return;
    };
    let mut app = setup.start().await;
    let e = election(&app, 40).await;
    let people = support::builders::people(&app, 40, "3100").await;
    app.stop().await;

    let engine = Setup::engine_of(&app.config).await;
    let parallel = engine.delivery.parallel;
    assert_eq!(parallel, 16);
    for (seat, (p, _)) in e.seats.iter().zip(&people) {
        engine.assign(*seat, *p, "test").await.expect("assign");
    }
    let mut tx = engine.db.begin().await.unwrap();
    let ids: Vec<i64> = tx
        .messages(None, None, 100)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    tx.commit().await.unwrap();
    assert_eq!(ids.len(), 40);

    // The gateway answers 24 calls at once and then stops answering: the
    // process is killed with 16 calls in flight.
    app.fake
        .slow_after(24, 16, std::time::Duration::from_secs(120));
    let delivering = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.deliver(&ids, valgvagt::jobs::Urgency::Bulk).await })
    };
    assert!(
        app.fake
            .wait_for(40, std::time::Duration::from_secs(20))
            .await,
        "every message reached the gateway"
    );
    delivering.abort();
    let _ = delivering.await;
    let mut tx = engine.db.read().await.unwrap();
    assert_eq!(
        tx.count_messages("sent").await.unwrap(),
        24,
        "recorded as they returned"
    );
    assert_eq!(tx.count_messages("sending").await.unwrap(), 16);
    tx.commit().await.unwrap();
    engine.db.close().await;
    drop(engine);

    app.restart().await;
    app.settle().await;
    app.tick().await;
    let received = app.fake.received();
    let mut by_phone = std::collections::HashMap::<u64, usize>::new();
    for r in &received {
        *by_phone.entry(r.msisdn).or_default() += 1;
    }
    assert_eq!(by_phone.len(), 40, "none lost");
    let doubled = by_phone.values().filter(|n| **n == 2).count();
    assert_eq!(doubled, 16, "only the calls in flight went twice");
    assert!(by_phone.values().all(|n| *n <= 2));
    let counts = app.get_json("/api/outbox/counts").await;
    assert_eq!(counts["sent"], 40);
    assert_eq!(counts["maybe_doubled"], 16, "each double is marked");
    let outbox = app.get_json("/api/outbox?limit=100").await;
    let marked: Vec<u64> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["maybe_sent"] == true)
        .map(|m| m["recipient"].as_str().unwrap()[1..].parse().unwrap())
        .collect();
    let mut twice: Vec<u64> = by_phone
        .iter()
        .filter(|(_, n)| **n == 2)
        .map(|(p, _)| *p)
        .collect();
    twice.sort();
    let mut marked = marked;
    marked.sort();
    assert_eq!(marked, twice, "the marked ones are the ones sent twice");
}

/// A process on another host that stops beating: a live process releases
/// its claims once the heartbeat has lapsed, not before.
async fn another_hosts_claims_come_back_when_its_heartbeat_lapses(backend: Backend) {
    let Some(setup) = Setup::new(backend).await else {
        return;
    };
    let mut app = setup.start().await;
    let e = election(&app, 1).await;
    let anna = person().create(&app).await;
    app.stop().await;

    // The other host registers, assigns, claims the invitation, and goes
    // silent; this process starts meanwhile.
    let mut other = Setup::engine_of(&app.config).await;
    std::sync::Arc::get_mut(&mut other)
        .expect("one owner")
        .process
        .host = "another-host/boot".into();
    other.beat().await.unwrap();
    other
        .assign(e.seats[0], anna, "test")
        .await
        .expect("assign");
    let mut tx = other.db.begin().await.unwrap();
    let outbox = tx.messages(None, None, 10).await.unwrap();
    let claimed = tx
        .claim_messages(&[outbox[0].id], app.clock.now(), &other.process.id)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tx.commit().await.unwrap();
    other.db.close().await;
    drop(other);
    app.restart().await;
    app.settle().await;
    assert_eq!(app.fake.count(), 0, "the other host is not known dead yet");

    app.advance(Duration::seconds(10)).await;
    assert_eq!(app.fake.count(), 0, "alive 10 s after its last beat");
    app.advance(Duration::seconds(15)).await;
    app.tick().await;
    assert_eq!(app.fake.count(), 1, "dead after 20 s: sent by this process");
    app.advance(Duration::minutes(10)).await;
    assert_eq!(app.fake.count(), 1);
    let outbox = app.get_json("/api/outbox").await;
    assert_eq!(outbox[0]["status"], "sent");
    assert_eq!(outbox[0]["maybe_sent"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_with_calls_in_flight_sends_only_those_again_marked_on_sqlite() {
    killed_with_calls_in_flight(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_with_calls_in_flight_sends_only_those_again_marked_on_postgres() {
    killed_with_calls_in_flight(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_of_a_process_on_another_host_come_back_when_its_heartbeat_lapses_on_sqlite() {
    another_hosts_claims_come_back_when_its_heartbeat_lapses(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_of_a_process_on_another_host_come_back_when_its_heartbeat_lapses_on_postgres() {
    another_hosts_claims_come_back_when_its_heartbeat_lapses(Backend::Postgres).await;
}

async fn queued_before_a_restart_is_sent_once_after_it(backend: Backend) {
    let Some(setup) = Setup::new(backend).await else {
        return;
    };
    let mut app = setup.start().await;
    let e = election(&app, 3).await;
    let mut people = Vec::new();
    for (i, cpr) in ["120385-1234", "030771-2345", "141160-3456"]
        .iter()
        .enumerate()
    {
        people.push(
            person()
                .cpr(cpr)
                .phone(&format!("+452000001{i}"))
                .create(&app)
                .await,
        );
    }
    app.stop().await;

    let engine = Setup::engine_of(&app.config).await;
    for (seat, p) in e.seats.iter().zip(&people) {
        engine.assign(*seat, *p, "test").await.expect("assign");
    }
    engine.db.close().await;
    drop(engine);

    app.restart().await;
    app.settle().await;
    app.restart().await;
    app.advance(Duration::minutes(10)).await;
    assert_eq!(
        app.fake.count(),
        3,
        "each of the three invitations sent once"
    );
}

async fn an_answer_whose_job_gave_up_is_handled_when_requeued(backend: Backend) {
    let Some(setup) = Setup::new(backend).await else {
        return;
    };
    let mut app = setup.start().await;
    let e = election(&app, 1).await;
    let anna = person().create(&app).await;
    support::builders::assign(&app, e.seats[0], anna).await;
    app.stop().await;

    // The answer arrives while the database is failing: its job used up
    // every attempt and apalis gave up on it.
    let engine = Setup::engine_of(&app.config).await;
    let stored = engine
        .receive_sms(&valgvagt::store::inbound::NewInbound {
            provider: "gatewayapi",
            provider_message_id: "42",
            sender: "+4520000001",
            receiver: None,
            body: "JA",
        })
        .await
        .unwrap();
    assert!(stored.is_some());
    let gave_up = match &engine.db.pool {
        valgvagt::store::Pool::Sqlite(pool, _) => sqlx::query("UPDATE Jobs SET status = 'Failed', attempts = max_attempts WHERE job_type = 'valgvagt.inbound'").execute(pool).await.unwrap().rows_affected(),
        valgvagt::store::Pool::Postgres(pool) => sqlx::query("UPDATE apalis.jobs SET status = 'Failed', attempts = max_attempts WHERE job_type = 'valgvagt.inbound'").execute(pool).await.unwrap().rows_affected(),
    };
    assert_eq!(gave_up, 1);
    engine.db.close().await;
    drop(engine);

    app.restart().await;
    app.settle().await;
    assert_eq!(
        app.seat_status(e.seats[0]).await,
        "invited",
        "apalis does not retry it"
    );
    app.advance(Duration::minutes(6)).await;
    assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    app.advance(Duration::minutes(6)).await;
    assert_eq!(app.fake.count(), 2, "one invitation, one confirmation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_whose_job_gave_up_during_an_outage_is_handled_when_the_ticker_requeues_it_on_sqlite()
 {
    an_answer_whose_job_gave_up_is_handled_when_requeued(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_whose_job_gave_up_during_an_outage_is_handled_when_the_ticker_requeues_it_on_postgres()
 {
    an_answer_whose_job_gave_up_is_handled_when_requeued(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_killed_between_its_claim_and_the_gateway_call_is_sent_once_at_restart_marked_on_sqlite()
 {
    crash_between_commit_and_gateway_call(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_killed_between_its_claim_and_the_gateway_call_is_sent_once_at_restart_marked_on_postgres()
 {
    crash_between_commit_and_gateway_call(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_queued_while_no_worker_ran_are_sent_once_after_a_restart_on_sqlite() {
    queued_before_a_restart_is_sent_once_after_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_queued_while_no_worker_ran_are_sent_once_after_a_restart_on_postgres() {
    queued_before_a_restart_is_sent_once_after_it(Backend::Postgres).await;
}
