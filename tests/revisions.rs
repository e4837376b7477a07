//! Workflow definitions are published as revisions; a running instance
//! stays on the revision it started on.

mod support;

use chrono::Duration;
use support::builders::{assign, election, person};
use support::{Backend, Setup};

async fn an_instance_keeps_its_revision_when_a_new_one_is_published(backend: Backend) {
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(setup.config.workflows_dir.join("invite.yaml")).unwrap();
    std::fs::write(dir.path().join("invite.yaml"), &shipped).unwrap();
    setup.config.workflows_dir = dir.path().to_path_buf();
    let mut app = setup.start().await;
    let e = election(&app, 2).await;
    let anna = person().create(&app).await;
    assign(&app, e.seats[0], anna).await;

    // The secretariat shortens the timeout to two days and restarts.
    let edited = shipped
        .replace("after: P10D", "after: P2D")
        .replace("every: P4D", "every: P1D");
    assert_ne!(edited, shipped);
    std::fs::write(dir.path().join("invite.yaml"), &edited).unwrap();
    app.restart().await;
    let bo = person()
        .name("Bo Nielsen")
        .cpr("030771-2345")
        .phone("+4520000002")
        .create(&app)
        .await;
    assign(&app, e.seats[1], bo).await;

    let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
    let newer = app.get_json(&format!("/api/seats/{}", e.seats[1])).await;
    assert_ne!(
        seat["instances"][0]["revision_id"],
        newer["instances"][0]["revision_id"]
    );

    // After three days Bo's question (new revision) has timed out; Anna's
    // (old revision, ten days) is still open.
    app.advance(Duration::days(3)).await;
    assert_eq!(app.seat_status(e.seats[1]).await, "vacant");
    assert_eq!(app.seat_status(e.seats[0]).await, "invited");
    app.advance(Duration::days(8)).await;
    assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
}

async fn an_invalid_definition_is_not_published_and_the_service_says_why(backend: Backend) {
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("invite.yaml"),
        "workflow: invite\nstarts_on: seat.assigned\nstates:\n  asking:\n    goto: nowhere\n",
    )
    .unwrap();
    setup.config.workflows_dir = dir.path().to_path_buf();
    let err = valgvagt::app::App::start(setup.config.clone())
        .await
        .err()
        .expect("refuses to start");
    let message = format!("{err:#}");
    assert!(message.contains("invite.yaml:5:"), "{message}");
    assert!(message.contains("nowhere"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_keeps_its_revision_when_a_new_one_is_published_on_sqlite() {
    an_instance_keeps_its_revision_when_a_new_one_is_published(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_keeps_its_revision_when_a_new_one_is_published_on_postgres() {
    an_instance_keeps_its_revision_when_a_new_one_is_published(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_definition_is_not_published_and_the_service_says_why_on_sqlite() {
    an_invalid_definition_is_not_published_and_the_service_says_why(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_definition_is_not_published_and_the_service_says_why_on_postgres() {
    an_invalid_definition_is_not_published_and_the_service_says_why(Backend::Postgres).await;
}
