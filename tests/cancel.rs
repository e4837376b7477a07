//! Cancelling an accepted seat from the link in the confirmation (e-mail,
//! or SMS where the link fits):
//! the shipped `cancelled` workflow confirms it and tells the secretariat,
//! and `fill_seat` offers the seat to standby.

mod support;

use support::builders::*;
use support::pages::{get, post};
use support::smtp::SmtpServer;
use support::{Backend, Setup, TestApp};

const ANE: &str = "ane@example.dk";
const DAY: &str = "2029-11-20";

/// Ane, who prefers e-mail, accepts the election's one seat by the link in
/// her invitation; returns the seat and the cancel link in her
/// confirmation.
async fn confirmed_ane(app: &TestApp, smtp: &SmtpServer) -> (Election, String) {
    let e = election(app, 1).await;
    let ane = person().name("Ane Ærø").email(ANE).create(app).await;
    assign(app, e.seats[0], ane).await;
    let accept = smtp.to(ANE)[0].links()[0].clone();
    assert_eq!(post(app, &accept).await.0, 200);
    assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    let mails = smtp.to(ANE);
    assert_eq!(mails.len(), 2, "the confirmation");
    let text = mails[1].part("text/plain").unwrap();
    assert!(text.contains("Kan du alligevel ikke komme?"), "{text}");
    let html = mails[1].part("text/html").unwrap();
    assert!(html.contains(">Afmeld mig</a>"), "a button: {html}");
    let links = mails[1].links();
    assert_eq!(links.len(), 1, "one cancel link: {links:?}");
    assert!(html.contains(&format!(r#"href="{}""#, links[0])), "{html}");
    (e, links[0].clone())
}

with_email_on_both_backends! {
    async fn a_confirmed_person_cancels_from_the_confirmation_and_the_seat_is_offered_to_standby(app: TestApp, smtp: SmtpServer) {
        let (e, cancel) = confirmed_ane(&app, &smtp).await;
        let reserves = people(&app, 1, "3100").await;
        let (bo, bo_phone) = &reserves[0];
        party_standby(&app, e.id, *bo, DAY, "Borgerlisten").await;

        let (status, page) = get(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Afmeld din plads"), "{page}");
        assert!(page.contains(">Afmeld mig</button>"), "{page}");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed", "looking changes nothing");
        assert!(app.fake.to(bo_phone).is_empty());

        let (status, page) = post(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Du er afmeldt"), "{page}");
        assert!(page.contains("Rådhushallen"), "the seat given up: {page}");
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert!(seat["seat"]["person_id"].is_null(), "{seat}");
        let cancelled = seat["history"].as_array().unwrap().iter().find(|h| h["event"] == "cancelled").expect("in the history");
        assert_eq!(cancelled["channel"], "email");
        let mails = smtp.to(ANE);
        assert_eq!(mails.len(), 3, "the cancellation is confirmed");
        assert_eq!(mails[2].header("Subject").unwrap(), "Du er afmeldt: Valgstyrer, tirsdag 20. november 2029");
        let uid = |ics: &str| ics.lines().find(|l| l.starts_with("UID:")).map(str::to_string);
        let entry = mails[1].part("text/calendar").expect("the confirmation's calendar entry");
        let removal = mails[2].part("text/calendar").expect("the cancellation removes the entry");
        assert!(removal.contains("METHOD:CANCEL"), "{removal}");
        assert_eq!(uid(&removal), uid(&entry), "the same entry");
        let notes = app.get_json("/api/notifications").await;
        assert!(notes.as_array().unwrap().iter().any(|n| n["message"].as_str().unwrap().contains("Cancelled by the person")), "{notes}");
        let offer = app.fake.to(bo_phone);
        assert_eq!(offer.len(), 1, "the seat is offered to standby: {offer:?}");
        assert!(offer[0].contains("Rådhushallen"), "{}", offer[0]);

        let (status, page) = post(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Linket er allerede brugt"), "{page}");
        assert_eq!(smtp.to(ANE).len(), 3, "nothing more was sent");
    }

    async fn a_cancel_link_for_a_seat_the_person_no_longer_holds_changes_nothing(app: TestApp, smtp: SmtpServer) {
        let (e, cancel) = confirmed_ane(&app, &smtp).await;
        let r = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        let bo = person().name("Bo Berg").cpr("010190-1235").phone("+4520000002").create(&app).await;
        assign(&app, e.seats[0], bo).await;
        let sent = smtp.to(ANE).len();

        let (status, page) = post(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Du har ikke længere pladsen"), "{page}");
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert_eq!(seat["seat"]["person_id"], bo, "Bo keeps his invitation");
        assert_eq!(seat["seat"]["status"], "invited");
        assert_eq!(smtp.to(ANE).len(), sent, "no cancellation");
    }

    async fn an_old_cancel_link_does_not_cancel_a_later_invitation_to_the_same_seat(app: TestApp, smtp: SmtpServer) {
        let (e, cancel) = confirmed_ane(&app, &smtp).await;
        let r = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        let ane = app.get_json("/api/outbox").await[0]["person_id"].as_i64().unwrap();
        assign(&app, e.seats[0], ane).await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited");
        let sent = smtp.to(ANE).len();

        let (status, page) = post(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Du har ikke længere pladsen"), "{page}");
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        assert_eq!(seat["seat"]["person_id"], ane, "the new invitation stands");
        assert_eq!(seat["seat"]["status"], "invited");
        assert_eq!(smtp.to(ANE).len(), sent, "no cancellation");
    }

    async fn a_cancel_link_expires_when_the_task_begins(app: TestApp, smtp: SmtpServer) {
        let (e, cancel) = confirmed_ane(&app, &smtp).await;
        // 07:30 in Copenhagen is 06:30 UTC in November.
        app.jump_to("2029-11-20T06:31:00Z").await;
        let (status, page) = post(&app, &cancel).await;
        assert_eq!(status, 410);
        assert!(page.contains("Opgaven er begyndt"), "{page}");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    }

    async fn a_forged_cancel_link_is_refused(app: TestApp, smtp: SmtpServer) {
        let (e, cancel) = confirmed_ane(&app, &smtp).await;
        // `<id>-<tag>`; the tag itself may hold `-` (base64url). Its first
        // character changed (the last may carry bits base64 ignores).
        let (id, tag) = cancel.split_once("/l/").and_then(|(_, t)| t.split_once('-')).unwrap();
        let first = if tag.starts_with('A') { 'B' } else { 'A' };
        let base = cancel.split_once("/l/").unwrap().0;
        let forged = format!("{base}/l/{id}-{first}{}", &tag[1..]);
        let (status, _) = post(&app, &forged).await;
        assert_eq!(status, 404);
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
    }
}

on_both_backends! {
    async fn an_sms_confirmation_carries_a_cancel_link_that_works_from_the_phone(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let invitation = app.fake.to("+4520000001")[0].clone();
        assert!(!invitation.contains("/l/"), "the SMS invitation prints no link: {invitation}");
        app.sms_from("+4520000001", &format!("JA {}", code_in(&invitation))).await;

        let confirmation = app.fake.to("+4520000001")[1].clone();
        assert!(confirmation.starts_with("Tak, Anna Jensen! Du er nu Valgstyrer"), "{confirmation}");
        let cancel = confirmation
            .split_whitespace()
            .find(|w| w.contains("/l/"))
            .unwrap_or_else(|| panic!("no cancel link in {confirmation}"))
            .to_string();
        assert!(cancel.starts_with(&app.url("/l/")), "{cancel}");
        // With these (GSM-7) names and places; a name outside GSM-7 makes
        // every SMS to that person UCS-2, at 67 characters a segment.
        assert!(valgvagt::sms::gatewayapi::is_gsm7(&confirmation));
        let segments = confirmation.chars().count().div_ceil(153);
        assert!(segments <= 2, "the link fits in two SMS: {} characters", confirmation.chars().count());

        let (status, page) = post(&app, &cancel).await;
        assert_eq!(status, 200);
        assert!(page.contains("Du er afmeldt"), "{page}");
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let last = app.fake.to("+4520000001").last().unwrap().clone();
        assert!(last.starts_with("Hej Anna Jensen. Du er afmeldt som Valgstyrer på Rådhushallen"), "{last}");
    }
}
