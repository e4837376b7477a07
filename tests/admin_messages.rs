//! Messages in the admin: a group message with its recipients and SMS
//! parts shown before it is sent, its progress while it goes out, the
//! outbox, and a dead letter retried, on SQLite and PostgreSQL.

mod support;

use chrono::Duration;
use reqwest::StatusCode;
use support::admin::{Browser, PASSWORD, user};
use support::builders::{assign, code_in, election, person};
use support::{Backend, SECRETARIAT, TestApp};

const ANNA: &str = "+4520000001";
const BO: &str = "+4520000002";
const CARLA: &str = "+4520000003";

/// Anna and Bo confirmed, Carla invited.
async fn three_people(app: &TestApp) {
    let e = election(app, 3).await;
    let people = [
        ("Anna Jensen", "120385-1234", ANNA),
        ("Bo Nielsen", "030771-2345", BO),
        ("Carla Hansen", "250999-4321", CARLA),
    ];
    for (i, (name, cpr, phone)) in people.iter().enumerate() {
        let id = person().name(name).cpr(cpr).phone(phone).create(app).await;
        assign(app, e.seats[i], id).await;
    }
    for phone in [ANNA, BO] {
        let code = code_in(&app.fake.to(phone)[0]);
        app.sms_from(phone, &format!("JA {code}")).await;
    }
}

on_both_backends! {
    async fn a_group_message_shows_who_and_how_many_sms_parts_before_it_goes_and_then_its_progress(app: TestApp) {
        three_people(&app).await;
        let before = app.fake.count();
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/messages/new").await.assert_ok();
        let text = "Husk at tage kuglepen med. Vi mødes kl. 7:15 ved indgangen.";
        let preview = b.post("/admin/messages/new", &[("status", "confirmed"), ("channel", "preferred"), ("text", text), ("action", "preview")]).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(preview.body.contains("<b id=\"group-recipients\">2</b>"), "{}", preview.body);
        assert!(preview.body.contains("<b id=\"group-parts\">2</b>"), "two people × one part: {}", preview.body);
        assert!(preview.body.contains("Hej Anna Jensen. Husk at tage kuglepen med."), "a sample as it will read");
        assert_eq!(app.fake.count(), before, "a preview sends nothing");

        let sent = b.post("/admin/messages/new", &[("status", "confirmed"), ("channel", "preferred"), ("text", text), ("action", "send")]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let to = sent.location.expect("to the progress page");
        assert!(to.starts_with("/admin/messages/broadcasts/"), "{to}");
        app.settle().await;
        for phone in [ANNA, BO] {
            let last = app.fake.to(phone).pop().expect("a message");
            assert!(last.contains("Husk at tage kuglepen med.") && last.ends_with("Testrup Kommune"), "{last}");
        }
        assert!(!app.fake.to(CARLA).iter().any(|m| m.contains("kuglepen")), "Carla has not confirmed");
        let progress = b.get(&to).await;
        progress.assert_ok();
        assert!(progress.body.contains("<b id=\"broadcast-sent\">2</b> af 2 sendt"), "{}", progress.body);
        assert!(progress.body.contains("id=\"broadcast-done\""));
        let outbox = b.get("/admin/messages?channel=sms").await;
        assert_eq!(outbox.body.matches("<td data-template=\"group_message\">Gruppebesked</td>").count(), 2, "{}", outbox.body);
        assert!(outbox.body.contains(">sendt</span>") && !outbox.body.contains(">sent</span>"), "statuses in Danish");
    }

    async fn an_empty_text_or_nobody_to_reach_sends_nothing_and_says_why(app: TestApp) {
        three_people(&app).await;
        let before = app.fake.count();
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        b.get("/admin/messages/new").await;
        let page = b.post("/admin/messages/new", &[("status", "confirmed"), ("channel", "sms"), ("text", "  "), ("action", "send")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("Skriv en tekst"), "{}", page.body);
        let page = b.post("/admin/messages/new", &[("status", "confirmed"), ("channel", "sms"), ("date", "2029-11-19"), ("text", "Hej"), ("action", "send")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("Ingen personer matcher"), "{}", page.body);
        app.settle().await;
        assert_eq!(app.fake.count(), before);
    }

    async fn a_dead_letter_is_listed_and_goes_out_when_retried(app: TestApp) {
        let e = election(&app, 1).await;
        let anna = person().create(&app).await;
        app.fake.fail_next(100);
        assign(&app, e.seats[0], anna).await;
        for _ in 0..5 {
            app.advance(Duration::hours(1)).await;
        }
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;
        let dead = b.get("/admin/messages?status=dead").await;
        assert!(dead.body.contains("id=\"dead-letters\">Fejlede beskeder: <b>1</b>"), "{}", dead.body);
        let at = dead.body.find("data-status=\"dead\"").expect("listed");
        let row = &dead.body[at..at + dead.body[at..].find("</tr>").unwrap()];
        assert!(row.contains("gatewayapi 500") && row.contains("Prøv igen"), "{row}");
        let id: i64 = dead.body[..at].rsplit("data-message=\"").next().unwrap().split('"').next().unwrap().parse().unwrap();

        app.fake.fail_next(0);
        let r = b.post(&format!("/admin/messages/{id}/retry"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.settle().await;
        assert_eq!(app.fake.to(ANNA).len(), 1);
        let again = b.post(&format!("/admin/messages/{id}/retry"), &[]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "no longer dead");
    }

    async fn a_reader_sees_the_outbox_but_sends_nothing_and_a_station_responsible_sees_neither(app: TestApp) {
        three_people(&app).await;
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        user(&app, "station@testrup.dk", "station", None, Some("Rådhushallen")).await;
        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        r.get("/admin/messages").await.assert_ok();
        assert_eq!(r.get("/admin/messages/new").await.status, StatusCode::FORBIDDEN);
        let page = r.post("/admin/messages/new", &[("status", "confirmed"), ("channel", "sms"), ("text", "Hej"), ("action", "send")]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        let mut s = Browser::logged_in(&app, "station@testrup.dk", PASSWORD).await;
        assert_eq!(s.get("/admin/messages").await.status, StatusCode::FORBIDDEN);
    }
}

on_both_backends! {
    async fn a_message_the_engine_cannot_place_is_listed_read_and_answered_from_the_inbound_pages(app: TestApp) {
        three_people(&app).await;
        app.sms_from(CARLA, "Hvornår skal jeg møde?").await;
        app.sms_from("+4529999999", "hej, hvem er I?").await;
        app.settle().await;
        let mut b = Browser::logged_in(&app, SECRETARIAT.0, SECRETARIAT.1).await;

        let all = b.get("/admin/inbound").await;
        all.assert_ok();
        assert!(all.body.contains("data-total=\"4\""), "two JA and two others: {}", all.body);
        let attention = b.get("/admin/inbound?shown=attention").await;
        assert!(attention.body.contains("data-total=\"2\""), "{}", attention.body);
        assert!(attention.body.contains("Hvornår skal jeg møde?") && attention.body.contains("hej, hvem er I?"));
        assert!(attention.body.contains(">Carla Hansen</a>"), "the sender by name: {}", attention.body);
        assert!(attention.body.contains("Beskeden blev ikke forstået som et svar."), "what happened, in Danish");
        assert!(attention.body.contains("Nummeret tilhører ingen person i systemet."));
        assert!(!attention.body.contains("not-understood"), "no internal names");

        // By the number as a person types it, and handled ones only.
        let carla = b.get("/admin/inbound?sender=29+99+99+99").await;
        assert!(carla.body.contains("data-total=\"1\"") && carla.body.contains("hej, hvem er I?"), "{}", carla.body);
        let handled = b.get("/admin/inbound?shown=handled").await;
        assert!(handled.body.contains("data-total=\"2\"") && handled.body.contains("Svaret blev registreret."), "{}", handled.body);

        // The follow-up note leads to the message; the message to Carla's seat.
        let followup = b.get("/admin/followup").await;
        let at = followup.body.find("href=\"/admin/inbound/").expect("a link to the message") + 6;
        let link = followup.body[at..at + followup.body[at..].find('"').unwrap()].to_string();
        let message = b.get(&link).await;
        message.assert_ok();
        assert!(message.body.contains("id=\"sender-seats\"") && message.body.contains("Rådhushallen"), "{}", message.body);
        assert!(message.body.contains("inviteret"), "Carla's seat and its status");

        // The secretariat writes back; Carla gets it by SMS.
        let before = app.fake.to(CARLA).len();
        let id = link.trim_start_matches("/admin/inbound/");
        let empty = b.post(&format!("/admin/inbound/{id}/answer"), &[("text", "  ")]).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        let sent = b.post(&format!("/admin/inbound/{id}/answer"), &[("text", "Du skal møde kl. 7.30 på Rådhushallen.\r\nHilsen valgsekretariatet")]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        assert_eq!(sent.location.as_deref(), Some(format!("/admin/inbound/{id}?answered=1").as_str()));
        app.settle().await;
        let got = app.fake.to(CARLA);
        assert_eq!(got.len(), before + 1);
        assert!(got.last().unwrap().starts_with("Du skal møde kl. 7.30 på Rådhushallen.\nHilsen valgsekretariatet"), "{:?}", got.last());
        assert!(b.get(&format!("/admin/inbound/{id}?answered=1")).await.body.contains("id=\"answer-sent\""));

        // A reader reads but does not write; a team's responsible sees none of it.
        user(&app, "læser@testrup.dk", "reader", None, None).await;
        let mut r = Browser::logged_in(&app, "læser@testrup.dk", PASSWORD).await;
        let read = r.get(&link).await;
        read.assert_ok();
        assert!(!read.body.contains("id=\"answer-form\""));
        assert_eq!(r.post(&format!("/admin/inbound/{id}/answer"), &[("text", "hej")]).await.status, StatusCode::FORBIDDEN);
        user(&app, "hold@testrup.dk", "team", Some("Borgerlisten"), None).await;
        let mut t = Browser::logged_in(&app, "hold@testrup.dk", PASSWORD).await;
        assert_eq!(t.get("/admin/inbound").await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.get(&link).await.status, StatusCode::FORBIDDEN);
    }
}
