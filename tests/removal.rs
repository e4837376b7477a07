//! Taking a person off a seat: they are told which of the three things
//! happened (invitation withdrawn, removed from the task, removed because
//! they no longer meet the conditions), and the seat goes to standby.

mod support;

use serde_json::json;
use support::builders::{assign, election, party_standby, people, person};
use support::{Backend, TestApp};

const ANNA: &str = "+4520000001";

async fn remove(app: &TestApp, seat: i64, reason: Option<&str>) -> reqwest::Response {
    let body = match reason {
        Some(r) => json!({ "reason": r }),
        None => json!({}),
    };
    let r = app
        .http
        .post(app.url(&format!("/api/seats/{seat}/remove")))
        .json(&body)
        .send()
        .await
        .expect("remove");
    app.settle().await;
    r
}

on_both_backends! {
    async fn withdrawing_an_unanswered_invitation_tells_the_person_and_offers_the_seat_to_standby(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        let reserves = people(&app, 1, "3000").await;
        party_standby(&app, e.id, reserves[0].0, "2029-11-20", "Borgerlisten").await;
        assign(&app, e.seats[0], anna).await;

        assert_eq!(remove(&app, e.seats[0], None).await.status(), 200);

        assert!(app.fake.to(ANNA).last().unwrap().starts_with("Hej Anna Jensen. Invitationen til at være Valgstyrer på Rådhushallen"), "{:?}", app.fake.to(ANNA));
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(app.fake.to(&reserves[0].1).iter().any(|m| m.contains("ledig plads")));
        // Her old invitation is closed: a late yes gives her nothing.
        app.sms_from(ANNA, "JA").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let history = app.history(e.seats[0]).await;
        assert!(history.contains(&"removed".to_string()), "{history:?}");
    }

    async fn a_confirmed_person_is_told_they_were_removed_and_why(app: TestApp) {
        let e = election(&app, 2).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Hansen").cpr("010190-1111").phone("+4520000002").create(&app).await;
        assign(&app, e.seats[0], anna).await;
        assign(&app, e.seats[1], bo).await;
        app.sms_from(ANNA, "JA").await;
        app.sms_from("+4520000002", "JA").await;

        remove(&app, e.seats[0], None).await;
        assert!(app.fake.to(ANNA).last().unwrap().starts_with("Hej Anna Jensen. Du er ikke længere Valgstyrer på Rådhushallen"));

        remove(&app, e.seats[1], Some("validation")).await;
        assert!(app.fake.to("+4520000002").last().unwrap().starts_with("Hej Bo Hansen. Du opfylder ikke længere betingelserne"));
        assert_eq!(app.seat_status(e.seats[1]).await, "vacant");
    }

    async fn nobody_can_be_taken_off_a_vacant_seat(app: TestApp) {
        let e = election(&app, 1).await;
        assert_eq!(remove(&app, e.seats[0], None).await.status(), 409);
        assert_eq!(remove(&app, 999_999, None).await.status(), 404);
    }
}
