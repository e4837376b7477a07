//! An election that is not active sends nothing automatic: assignments
//! are kept, invitations, reminders, offers and schedules wait, and go out
//! when it is activated; deactivating holds them again.

mod support;

use reqwest::StatusCode;
use support::admin::Browser;
use support::builders::{Election, assign, election, party_standby, people, person};
use support::{Backend, SECRETARIAT, TestApp};

const ANNA: &str = "+4520000001";
const BO: &str = "+4520000002";
const DAY: &str = "2029-11-20";

async fn set_active(app: &TestApp, e: &Election, active: bool) {
    let verb = if active { "activate" } else { "deactivate" };
    let r = app
        .http
        .post(app.url(&format!("/api/elections/{}/{verb}", e.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.settle().await;
}

async fn held(app: &TestApp, e: &Election) -> i64 {
    app.get_json(&format!("/api/elections/{}", e.id)).await["held"]
        .as_i64()
        .expect("held")
}

fn invitations(app: &TestApp, phone: &str) -> usize {
    app.fake
        .to(phone)
        .iter()
        .filter(|m| m.contains("Vil du være Valgstyrer"))
        .count()
}

on_both_backends! {
    async fn an_assignment_in_an_inactive_election_is_kept_and_its_invitation_waits_for_activation(app: TestApp) {
        let e = election(&app, 2).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        set_active(&app, &e, false).await;
        let anna = person().create(&app).await;
        assert_eq!(assign(&app, e.seats[0], anna).await.status(), StatusCode::OK);
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited", "the assignment is kept");
        assert!(app.fake.to(ANNA).is_empty(), "nothing is sent: {:?}", app.fake.to(ANNA));
        assert_eq!(held(&app, &e).await, 1);

        // The secretariat sees what waits, in Danish.
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let page = b.get("/admin/setup").await;
        assert!(page.body.contains("1 udsendelser venter på, at valget aktiveres"), "{}", page.body);
        assert!(page.body.contains(&format!("id=\"inactive-{}\"", e.id)));

        // A week passes: no invitation, and so no reminder either.
        app.advance(chrono::Duration::days(7)).await;
        assert!(app.fake.to(ANNA).is_empty());

        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let r = b.post(&format!("/admin/setup/elections/{}/activate", e.id), &[]).await;
        assert_eq!(r.location.as_deref(), Some("/admin/setup"));
        app.settle().await;
        assert_eq!(held(&app, &e).await, 0);
        assert_eq!(invitations(&app, ANNA), 1, "{:?}", app.fake.to(ANNA));

        // Deactivated again, the reminder four days on waits too.
        set_active(&app, &e, false).await;
        app.advance(chrono::Duration::days(5)).await;
        assert_eq!(app.fake.to(ANNA).len(), 1, "no reminder while not active");
        set_active(&app, &e, true).await;
        app.advance(chrono::Duration::seconds(1)).await;
        let sent = app.fake.to(ANNA);
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(sent[1].starts_with("Påmindelse"), "{}", sent[1]);
    }

    async fn a_person_taken_off_before_activation_is_never_told_anything(app: TestApp) {
        let e = election(&app, 1).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        set_active(&app, &e, false).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Hansen").cpr("010190-1111").phone(BO).create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let r = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
        assign(&app, e.seats[0], bo).await;
        app.settle().await;
        assert!(app.fake.to(ANNA).is_empty() && app.fake.to(BO).is_empty());

        set_active(&app, &e, true).await;
        assert!(app.fake.to(ANNA).is_empty(), "neither invited nor told she was taken off: {:?}", app.fake.to(ANNA));
        assert_eq!(invitations(&app, BO), 1, "{:?}", app.fake.to(BO));
    }

    async fn a_freed_seat_is_offered_to_standby_only_once_the_election_is_active(app: TestApp) {
        let e = election(&app, 1).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from(ANNA, "JA").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        let reserves = people(&app, 1, "3000").await;
        party_standby(&app, e.id, reserves[0].0, DAY, "Borgerlisten").await;

        set_active(&app, &e, false).await;
        // Anna gives up her seat herself: that is her doing and is answered.
        app.sms_from(ANNA, "AFMELD").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(app.fake.to(&reserves[0].1).is_empty(), "no offer while not active");

        set_active(&app, &e, true).await;
        let offers = app.fake.to(&reserves[0].1);
        assert_eq!(offers.len(), 1, "{offers:?}");
        assert!(offers[0].contains("Der er en ledig plads"), "{}", offers[0]);
    }

    async fn an_eve_reminder_due_while_not_active_is_skipped_and_the_secretariat_told(app: TestApp) {
        let e = election(&app, 1).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from(ANNA, "JA").await;
        set_active(&app, &e, false).await;
        app.jump_to("2029-11-19T17:30:00Z").await;
        assert!(!app.fake.to(ANNA).iter().any(|m| m.contains("På gensyn")), "not sent while not active");

        // Activated the next morning: too late for "see you tomorrow".
        app.jump_to("2029-11-20T05:00:00Z").await;
        set_active(&app, &e, true).await;
        app.advance(chrono::Duration::seconds(1)).await;
        assert!(!app.fake.to(ANNA).iter().any(|m| m.contains("På gensyn")));
        let notes = app.get_json("/api/notifications").await;
        let skipped: Vec<_> = notes.as_array().unwrap().iter()
            .filter(|n| n["kind"] == "schedule-missed")
            .filter_map(|n| n["message"].as_str())
            .filter(|m| m.contains("`election_eve_reminder`"))
            .collect();
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].contains("the election was not active"), "{}", skipped[0]);
    }

    async fn skift_while_not_active_is_answered_and_nothing_is_held(app: TestApp) {
        let e = election(&app, 2).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from(ANNA, "JA").await;
        set_active(&app, &e, false).await;
        app.sms_from(ANNA, "SKIFT").await;
        let last = app.fake.to(ANNA).last().cloned().unwrap_or_default();
        assert!(last.starts_with("Vi kan ikke finde en plads, du kan skifte fra"), "{last}");
        assert_eq!(held(&app, &e).await, 0);
    }

    async fn a_batch_of_assignments_waits_as_one_assignment_does(app: TestApp) {
        let e = election(&app, 2).await;
        app.jump_to("2029-11-01T09:00:00Z").await;
        set_active(&app, &e, false).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Hansen").cpr("010190-1111").phone(BO).create(&app).await;
        let r = app.http.post(app.url("/api/assignments"))
            .json(&serde_json::json!({ "assignments": [
                { "seat_id": e.seats[0], "person_id": anna },
                { "seat_id": e.seats[1], "person_id": bo },
            ]}))
            .send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        app.settle().await;
        assert!(app.fake.to(ANNA).is_empty() && app.fake.to(BO).is_empty());
        assert_eq!(held(&app, &e).await, 2);
        set_active(&app, &e, true).await;
        assert_eq!((invitations(&app, ANNA), invitations(&app, BO)), (1, 1));
    }
}
