//! A process that dies in the middle of delivering never loses a message
//! and never sends one twice.

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
        .claim_messages(&[outbox[0].id], app.clock.now())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tx.commit().await.unwrap();
    engine.db.close().await;
    drop(engine);
    assert_eq!(app.fake.count(), 0);

    // Restarted: the queued job finds the attempt claimed and leaves it.
    app.restart().await;
    app.settle().await;
    assert_eq!(
        app.fake.count(),
        0,
        "a claimed attempt is not repeated at once"
    );

    // After the lease the attempt is presumed dead and made again, once.
    app.advance(Duration::minutes(6)).await;
    assert_eq!(app.fake.count(), 1);
    app.advance(Duration::minutes(6)).await;
    app.restart().await;
    app.advance(Duration::minutes(6)).await;
    let received = app.fake.received();
    assert_eq!(received.len(), 1, "sent exactly once");
    assert_eq!(
        received[0].userref.as_deref(),
        Some(outbox[0].idempotency_key.as_str())
    );
    let outbox = app.get_json("/api/outbox").await;
    assert_eq!(outbox[0]["status"], "sent");
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
async fn a_delivery_killed_between_its_claim_and_the_gateway_call_is_sent_exactly_once_after_restart_on_sqlite()
 {
    crash_between_commit_and_gateway_call(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_killed_between_its_claim_and_the_gateway_call_is_sent_exactly_once_after_restart_on_postgres()
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
