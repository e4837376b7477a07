//! Nothing about a seat after its task: an invitation's wait ends before
//! the task starts (a day before, unless the workflow says otherwise),
//! swapping stops when it begins, and once it is over no offer,
//! confirmation or reminder about it goes out.

mod support;

use support::builders::{assign, code_in, election, party_standby, people, person};
use support::{Backend, Setup, TestApp};

const ANNA: &str = "+4520000001";
const DAY: &str = "2029-11-20";

fn notes_of(v: &serde_json::Value, kind: &str) -> usize {
    v.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .count()
}

on_both_backends! {
    async fn an_invitation_made_five_days_before_ends_a_day_before_the_task_and_the_secretariat_is_told(app: TestApp) {
        let e = election(&app, 1).await;
        // Thursday 15 November, 10:00 in Copenhagen.
        app.jump_to("2029-11-15T09:00:00Z").await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        assert_eq!(app.fake.to(ANNA).len(), 1);
        // The ten days would end on the 25th; the wait ends on Monday
        // 19 November at 07:30, a day before the task.
        app.jump_to("2029-11-19T06:29:00Z").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");
        app.jump_to("2029-11-19T06:31:00Z").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let notes = app.get_json("/api/notifications").await;
        assert_eq!(notes_of(&notes, "cut-short"), 1, "{notes}");
        // No reminder: the wait ended before the first was due.
        assert_eq!(app.fake.to(ANNA).len(), 1, "{:?}", app.fake.to(ANNA));
    }

    async fn an_invitation_made_on_election_morning_waits_until_the_task_begins(app: TestApp) {
        let e = election(&app, 1).await;
        app.jump_to("2029-11-20T05:00:00Z").await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.jump_to("2029-11-20T06:29:00Z").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited", "not freed at once");
        app.jump_to("2029-11-20T06:31:00Z").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant", "freed when the task begins");
    }

    async fn skift_after_the_task_has_begun_is_not_possible(app: TestApp) {
        let e = election(&app, 2).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let code = code_in(&app.fake.to(ANNA)[0]);
        app.sms_from(ANNA, &format!("JA {code}")).await;
        app.jump_to("2029-11-20T07:00:00Z").await;
        app.sms_from(ANNA, "SKIFT").await;
        assert!(app.fake.to(ANNA).last().unwrap().starts_with("Vi kan ikke finde en plads, du kan skifte fra"));
    }

    async fn once_the_task_is_over_no_offer_or_confirmation_about_the_seat_goes_out(app: TestApp) {
        let e = election(&app, 1).await;
        let reserves = people(&app, 4, "3000").await;
        for (id, _) in &reserves {
            party_standby(&app, e.id, *id, DAY, "Borgerlisten").await;
        }
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let code = code_in(&app.fake.to(ANNA)[0]);
        app.sms_from(ANNA, &format!("JA {code}")).await;
        // Taken off at 18:00 on the day; three reserves are asked.
        app.jump_to("2029-11-20T17:00:00Z").await;
        let r = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        let offered = |app: &TestApp| reserves.iter().filter(|(_, p)| app.fake.to(p).iter().any(|m| m.contains("ledig plads"))).count();
        assert_eq!(offered(&app), 3);
        // At 22:00 the task (to 21:00) is over: the next wave asks nobody,
        // and a late yes takes nothing and confirms nothing.
        app.jump_to("2029-11-20T21:00:00Z").await;
        assert_eq!(offered(&app), 3, "no wave after the task");
        let (_, phone) = &reserves[0];
        let sent = app.fake.to(phone).len();
        app.sms_from(phone, "JA").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(!app.fake.to(phone).iter().skip(sent).any(|m| m.contains("Du er nu Valgstyrer")), "{:?}", app.fake.to(phone));
    }
}

/// `before_start: PT12H` in the invitation's timeout: the wait ends twelve
/// hours before the task.
async fn the_workflow_says_how_long_before_the_task_the_wait_ends(backend: Backend) {
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    setup.edit_workflows(
        |name, text| match name {
            "invite.yaml" => {
                assert!(
                    text.contains("before_start: P1D"),
                    "the shipped invite says its margin"
                );
                text.replace("before_start: P1D", "before_start: PT12H")
            }
            _ => text,
        },
        &[],
    );
    let app = setup.start().await;
    let e = election(&app, 1).await;
    app.jump_to("2029-11-15T09:00:00Z").await;
    let anna = person().create(&app).await;
    assign(&app, e.seats[0], anna).await;
    // 07:30 on the 20th less twelve hours: 19:30 on the 19th.
    app.jump_to("2029-11-19T18:29:00Z").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "invited");
    app.jump_to("2029-11-19T18:31:00Z").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_says_how_long_before_the_task_the_wait_ends_on_sqlite() {
    the_workflow_says_how_long_before_the_task_the_wait_ends(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_says_how_long_before_the_task_the_wait_ends_on_postgres() {
    the_workflow_says_how_long_before_the_task_the_wait_ends(Backend::Postgres).await;
}
