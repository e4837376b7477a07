//! No-shows on election morning: the station's responsible reports one by
//! SMS and the shipped `replace_no_show` offers the seat to standby at
//! once; a report from any other number changes nothing. Workers check in
//! with MØDT.

mod support;

use support::builders::{
    assign, code_in, election, party_standby, people, person, responsible_for_station_of,
};
use support::{Backend, TestApp};

const ANNA: &str = "+4520000001";
const RITA: &str = "+4520000099";
const CARL: &str = "+4520000077";

on_both_backends! {
    async fn a_no_show_reported_by_the_stations_responsible_is_replaced_from_standby_and_others_are_refused(app: TestApp) {
        let e = election(&app, 1).await;
        let seat = e.seats[0];
        let anna = person().create(&app).await;
        let rita = person().name("Rita Formand").cpr("050570-2222").phone(RITA).create(&app).await;
        person().name("Carl Anden").cpr("060670-3333").phone(CARL).create(&app).await;
        responsible_for_station_of(&app, seat, rita).await;
        let reserves = people(&app, 1, "3000").await;
        let (bo, bo_phone) = &reserves[0];
        party_standby(&app, e.id, *bo, "2029-11-20", "Borgerlisten").await;
        assign(&app, seat, anna).await;
        app.sms_from(ANNA, "JA").await;
        let code = app.get_json(&format!("/api/seats/{seat}")).await["seat"]["code"].as_str().unwrap().to_string();
        assert_eq!(code, "S1");

        // Election morning, 08:15 in Copenhagen.
        app.jump_to("2029-11-20T07:15:00Z").await;

        app.sms_from(CARL, &format!("UDEBLEVET {code}")).await;
        assert_eq!(app.seat_status(seat).await, "confirmed", "only the responsible may report");
        assert!(app.fake.to(CARL).last().unwrap().starts_with("Kun valgstedets valgstyrerformand"));
        assert!(app.fake.to(bo_phone).is_empty());

        app.sms_from(RITA, "udeblevet s 1").await;
        assert_eq!(app.seat_status(seat).await, "vacant");
        assert!(app.fake.to(RITA).last().unwrap().starts_with("Tak, Rita Formand. Plads S1 (Valgstyrer) på Rådhushallen er meldt udeblevet"), "{:?}", app.fake.to(RITA));
        let history = app.get_json(&format!("/api/seats/{seat}")).await["history"].clone();
        let no_show = history.as_array().unwrap().iter().find(|h| h["event"] == "no_show").expect("kept in the history");
        assert_eq!(no_show["person_id"], anna);
        assert_eq!(no_show["channel"], "sms");

        let offer = app.fake.to(bo_phone);
        assert_eq!(offer.len(), 1, "offered at once: {offer:?}");
        app.sms_from(bo_phone, &format!("JA {}", code_in(&offer[0]))).await;
        let s = app.get_json(&format!("/api/seats/{seat}")).await;
        assert_eq!(s["seat"]["status"], "confirmed");
        assert_eq!(s["seat"]["person_id"], *bo);
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.to_string().contains("A no-show was replaced from standby"), "{notes}");
    }

    async fn an_unknown_seat_code_is_refused_and_changes_nothing(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        let rita = person().name("Rita Formand").cpr("050570-2222").phone(RITA).create(&app).await;
        responsible_for_station_of(&app, e.seats[0], rita).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from(ANNA, "JA").await;
        app.jump_to("2029-11-20T07:15:00Z").await;

        app.sms_from(RITA, "UDEBLEVET S9").await;
        assert!(app.fake.to(RITA).last().unwrap().starts_with("Vi kan ikke finde en besat plads S9"));
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    }

    async fn the_api_reports_a_no_show_on_a_confirmed_seats_day_only(app: TestApp) {
        let e = election(&app, 3).await;
        let anna = person().create(&app).await;
        let bo = person().name("Bo Nielsen").cpr("030771-2345").phone("+4520000002").create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let no_show = |seat: i64| app.http.post(app.url(&format!("/api/seats/{seat}/no-show"))).send();
        let r = no_show(e.seats[0]).await.unwrap();
        assert_eq!(r.status(), 409, "invited, and weeks early");
        app.sms_from(ANNA, "JA").await;
        let r = no_show(e.seats[0]).await.unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("on 2029-11-20"), "the refusal names the day");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");

        app.jump_to("2029-11-20T07:15:00Z").await;
        assign(&app, e.seats[1], bo).await;
        let r = no_show(e.seats[1]).await.unwrap();
        assert_eq!(r.status(), 409, "Bo never said yes");
        assert!(r.text().await.unwrap().contains("not confirmed"));
        let r = no_show(e.seats[0]).await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let r = no_show(e.seats[2]).await.unwrap();
        assert_eq!(r.status(), 409, "a vacant seat");
    }

    async fn a_worker_who_texts_moedt_on_the_day_is_checked_in(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        app.sms_from(ANNA, "JA").await;

        app.sms_from(ANNA, "MØDT").await;
        assert!(app.fake.to(ANNA).last().unwrap().starts_with("Hej Anna Jensen. Vi kan ikke finde en plads til dig i dag"), "not on the day before");

        app.jump_to("2029-11-20T06:10:00Z").await;
        app.sms_from(ANNA, "mødt").await;
        assert!(app.fake.to(ANNA).last().unwrap().starts_with("Tak, Anna Jensen. Du er meldt mødt som Valgstyrer på Rådhushallen"));
        assert!(app.history(e.seats[0]).await.contains(&"checked_in".to_string()));
    }
}

/// With the example `no_show_if_not_checked_in` published, a confirmed
/// worker who has not texted MØDT by 07:30 is a no-show, and the seat is
/// offered to standby; one who checked in keeps the seat.
async fn not_checked_in_by_half_past_seven_is_a_no_show(backend: Backend) {
    let Some(mut setup) = support::Setup::new(backend).await else {
        return;
    };
    setup.edit_workflows(|_, text| text, &["examples/no_show_if_not_checked_in.yaml"]);
    let app = setup.start().await;
    let e = election(&app, 2).await;
    let anna = person().create(&app).await;
    let bo = person()
        .name("Bo Hansen")
        .cpr("010190-1111")
        .phone("+4520000002")
        .create(&app)
        .await;
    let reserves = people(&app, 1, "3000").await;
    let (_, reserve_phone) = &reserves[0];
    party_standby(&app, e.id, reserves[0].0, "2029-11-20", "Borgerlisten").await;
    for (seat, (id, phone)) in e.seats.iter().zip([(anna, ANNA), (bo, "+4520000002")]) {
        assign(&app, *seat, id).await;
        app.sms_from(phone, "JA").await;
    }

    // 07:10 in Copenhagen: Bo has arrived.
    app.jump_to("2029-11-20T06:10:00Z").await;
    app.sms_from("+4520000002", "MØDT").await;
    app.jump_to("2029-11-20T06:29:00Z").await;
    assert_eq!(
        app.seat_status(e.seats[0]).await,
        "confirmed",
        "not before 07:30"
    );

    app.jump_to("2029-11-20T06:30:00Z").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
    assert!(
        app.history(e.seats[0])
            .await
            .contains(&"no_show".to_string())
    );
    assert_eq!(
        app.seat_status(e.seats[1]).await,
        "confirmed",
        "Bo checked in"
    );
    assert!(
        app.fake
            .to(reserve_phone)
            .iter()
            .any(|m| m.contains("ledig plads"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_checked_in_by_half_past_seven_is_a_no_show_on_sqlite() {
    not_checked_in_by_half_past_seven_is_a_no_show(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_checked_in_by_half_past_seven_is_a_no_show_on_postgres() {
    not_checked_in_by_half_past_seven_is_a_no_show(Backend::Postgres).await;
}
