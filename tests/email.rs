//! The e-mail front door: invitations over real SMTP with single-purpose
//! links, and the pages behind them.

mod support;

use support::builders::*;
use support::pages::{get, post};
use support::smtp::SmtpServer;
use support::{Backend, Setup, TestApp};

const ANE: &str = "ane@example.dk";

/// Invites Ane, who prefers e-mail, to the election's one seat; returns
/// the seat and the invitation's accept and decline links.
async fn invite_ane(app: &TestApp, smtp: &SmtpServer) -> (i64, String, String) {
    let e = election(app, 1).await;
    let ane = person().name("Ane Ærø").email(ANE).create(app).await;
    assign(app, e.seats[0], ane).await;
    app.settle().await;
    let mails = smtp.to(ANE);
    assert_eq!(mails.len(), 1, "one invitation by e-mail");
    let links = mails[0].links();
    assert_eq!(links.len(), 3, "accept, swap and decline: {links:?}");
    (e.seats[0], links[0].clone(), links[2].clone())
}

with_email_on_both_backends! {
    async fn an_invitation_by_email_has_a_text_and_an_html_part_and_accept_works_once(app: TestApp, smtp: SmtpServer) {
        let (seat, accept, decline) = invite_ane(&app, &smtp).await;
        let mail = &smtp.to(ANE)[0];
        assert!(mail.header("From").unwrap().contains("valg@testrup.dk"));
        assert_eq!(
            mail.header("Subject").unwrap(),
            "Vil du være Valgstyrer ved Kommunalvalg 2029?"
        );
        let text = mail.part("text/plain").expect("a plain-text part");
        assert!(text.contains("Hej Ane Ærø"), "{text}");
        assert!(text.contains("Rådhushallen, Rådhuspladsen 1"), "{text}");
        assert!(text.contains("Testrup Kommune"), "the footer: {text}");
        let html = mail.part("text/html").expect("an HTML part");
        assert!(html.contains(&format!(r#"href="{accept}""#)), "{html}");
        assert!(html.contains(">Ja, jeg kommer</a>"), "{html}");
        assert!(html.contains("Ane Ærø"), "{html}");
        assert!(app.fake.to("+4520000001").is_empty(), "no SMS to someone who prefers e-mail");

        let (status, page) = post(&app, &accept).await;
        assert_eq!(status, 200);
        assert!(page.contains("Tak! Du har sagt ja"), "{page}");
        assert_eq!(app.seat_status(seat).await, "confirmed");
        assert!(app.history(seat).await.contains(&"answered_yes".to_string()));
        let mails = smtp.to(ANE);
        assert_eq!(mails.len(), 2, "the registration confirmation follows");
        assert!(mails[1].header("Subject").unwrap().starts_with("Du er Valgstyrer"));
        assert!(mails[0].part("text/calendar").is_none(), "no calendar entry before a yes");
        let ics = mails[1].part("text/calendar").expect("the confirmation's calendar entry");
        assert!(ics.contains("DTSTART;TZID=Europe/Copenhagen:20291120T073000"), "{ics}");
        assert!(ics.contains("DTEND;TZID=Europe/Copenhagen:20291120T210000"), "{ics}");
        assert!(ics.replace("\r\n ", "").contains("LOCATION:Rådhushallen\\, Rådhuspladsen 1"), "{ics}");

        let (status, page) = post(&app, &accept).await;
        assert_eq!(status, 200);
        assert!(page.contains("Linket er allerede brugt"), "{page}");
        let (_, page) = post(&app, &decline).await;
        assert!(page.contains("ikke længere åbent"), "{page}");
        assert_eq!(app.seat_status(seat).await, "confirmed");
        assert_eq!(smtp.to(ANE).len(), 2, "nothing more was sent");
    }

    async fn opening_a_link_shows_its_button_and_changes_nothing(app: TestApp, smtp: SmtpServer) {
        let (seat, accept, decline) = invite_ane(&app, &smtp).await;
        for _ in 0..2 {
            let (status, page) = get(&app, &accept).await;
            assert_eq!(status, 200);
            assert!(page.contains(r#"<form method="post">"#), "{page}");
            assert!(page.contains("Ja, jeg kommer"), "{page}");
            assert!(page.contains("Rådhushallen"), "{page}");
        }
        let (_, page) = get(&app, &decline).await;
        assert!(page.contains("Nej, jeg kan ikke"), "{page}");
        app.settle().await;
        assert_eq!(app.seat_status(seat).await, "invited");
        assert_eq!(smtp.to(ANE).len(), 1);
        // The link still works after being looked at.
        let (_, page) = post(&app, &decline).await;
        assert!(page.contains("Tak for dit svar"), "{page}");
        assert_eq!(app.seat_status(seat).await, "vacant");
    }

    async fn forged_and_expired_links_are_refused_and_change_nothing(app: TestApp, smtp: SmtpServer) {
        let (seat, accept, decline) = invite_ane(&app, &smtp).await;
        // One changed character of the tag, the decline link's id with the
        // accept link's tag, and a token cut short.
        // A character in the middle of the tag, so the change is never
        // lost in the last base64 digit's spare bits.
        let mut forged: Vec<char> = accept.chars().collect();
        let middle = forged.len() - 10;
        forged[middle] = if forged[middle] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        let (accept_base, accept_token) = accept.rsplit_once('/').unwrap();
        let (_, decline_token) = decline.rsplit_once('/').unwrap();
        let swapped = format!(
            "{accept_base}/{}-{}",
            decline_token.split_once('-').unwrap().0,
            accept_token.split_once('-').unwrap().1
        );
        let cut = &accept[..accept.len() - 5];
        for bad in [forged.as_str(), swapped.as_str(), cut] {
            let (status, page) = post(&app, bad).await;
            assert_eq!(status, 404, "{bad}");
            assert!(page.contains("Linket virker ikke"), "{page}");
        }
        assert_eq!(app.seat_status(seat).await, "invited");

        // The invitation times out after 10 days; its links end with it.
        app.advance(chrono::Duration::days(11)).await;
        assert_eq!(app.seat_status(seat).await, "vacant");
        let sent = smtp.to(ANE).len();
        let (status, page) = post(&app, &accept).await;
        assert_eq!(status, 410);
        assert!(page.contains("Linket er udløbet"), "{page}");
        assert_eq!(app.seat_status(seat).await, "vacant");
        assert_eq!(smtp.to(ANE).len(), sent);
    }

    async fn a_name_cannot_carry_markup_or_someone_elses_link_into_an_email(app: TestApp, smtp: SmtpServer) {
        let e = election(&app, 2).await;
        let ane = person().name("Ane").email(ANE).create(&app).await;
        assign(&app, e.seats[0], ane).await;
        app.settle().await;
        let ane_accept = smtp.to(ANE)[0].links()[0].clone();
        let id = ane_accept.rsplit_once('/').unwrap().1.split_once('-').unwrap().0.to_string();
        let bo = person()
            .name(&format!("Bo <b>Ja: [[link:{id}]]"))
            .cpr("010190-1235")
            .phone("+4520000002")
            .email("bo@example.dk")
            .create(&app)
            .await;
        assign(&app, e.seats[1], bo).await;
        app.settle().await;
        let mail = &smtp.to("bo@example.dk")[0];
        let text = mail.part("text/plain").unwrap();
        let html = mail.part("text/html").unwrap();
        assert!(text.contains(&format!("[[link:{id}]]")), "left as text: {text}");
        assert!(!text.contains(&ane_accept) && !html.contains(&ane_accept));
        assert!(html.contains("Bo &lt;b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert_eq!(mail.links().len(), 3, "Bo's own three links still work");
    }
}
