//! Twilio as the SMS provider, end to end over real HTTP: messages out
//! through its Messages API, answers in through its signed incoming-SMS
//! webhook, and status callbacks that record delivery and send a failed
//! SMS by e-mail.

mod support;

use support::builders::{assign, code_in, election, person};
use support::smtp::SmtpServer;
use support::{Backend, Setup, TestApp};
use valgvagt::app::SmsConfig;
use valgvagt::sms::fake_twilio::FakeTwilio;
use valgvagt::sms::twilio::{TwilioConfig, TwilioSender};

const ANNA: &str = "+4520000001";
const ANNA_MAIL: &str = "anna@example.dk";
const AUTH_TOKEN: &str = "twilio-auth-token";

/// The app with Twilio as its SMS provider and e-mail to a fresh SMTP
/// server.
async fn spawn(backend: Backend) -> Option<(TestApp, FakeTwilio, SmtpServer)> {
    let twilio = FakeTwilio::start("AC0123456789abcdef0123456789abcdef", AUTH_TOKEN)
        .await
        .expect("fake twilio");
    let smtp = SmtpServer::start();
    let mut setup = Setup::new(backend).await?;
    setup.config.sms = SmsConfig::Twilio(TwilioConfig {
        base_url: twilio.base_url(),
        account_sid: twilio.account_sid.clone(),
        auth_token: AUTH_TOKEN.into(),
        sender: TwilioSender::From(twilio.number.clone()),
        status_callback: None,
    });
    setup.with_email(&smtp);
    Some((setup.start().await, twilio, smtp))
}

macro_rules! with_twilio_on_both_backends {
    ($(async fn $name:ident($app:ident, $twilio:ident, $smtp:ident) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($app: TestApp, $twilio: FakeTwilio, $smtp: SmtpServer) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    let (app, twilio, smtp) = spawn(Backend::Sqlite).await.expect("sqlite app");
                    body(app, twilio, smtp).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    let Some((app, twilio, smtp)) = spawn(Backend::Postgres).await else { return };
                    body(app, twilio, smtp).await;
                }
            }
        )*
    };
}

/// Invites Anna (phone and e-mail, SMS first) to a seat; returns it.
async fn invite_anna(app: &TestApp, twilio: &FakeTwilio) -> i64 {
    let e = election(app, 1).await;
    let anna = person().email(ANNA_MAIL).prefers("sms").create(app).await;
    assign(app, e.seats[0], anna).await;
    assert_eq!(
        twilio.to(ANNA).len(),
        1,
        "the invitation went through Twilio"
    );
    e.seats[0]
}

async fn outbox_sms(app: &TestApp, template: &str) -> serde_json::Value {
    let rows = app.get_json("/api/outbox").await;
    rows.as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == template && m["channel"] == "sms")
        .cloned()
        .unwrap_or_else(|| panic!("no {template} by SMS in {rows:#}"))
}

with_twilio_on_both_backends! {
    async fn an_invitation_goes_out_through_twilio_and_a_signed_ja_confirms_the_seat(app, twilio, smtp) {
        let seat = invite_anna(&app, &twilio).await;
        let sent = &twilio.received()[0];
        assert_eq!(sent.from, twilio.number);
        assert!(sent.body.starts_with("Hej Anna Jensen. Vil du være Valgstyrer"), "{}", sent.body);
        let row = outbox_sms(&app, "invitation").await;
        assert_eq!(row["provider"], "twilio");
        assert_eq!(row["provider_message_id"], sent.sid.as_str());
        assert_eq!(
            sent.status_callback.as_deref(),
            Some(app.url(&format!("/webhooks/twilio/status?ref={}", row["idempotency_key"].as_str().unwrap())).as_str()),
        );

        let code = code_in(&sent.body);
        let (status, body) = twilio
            .text_in(&app.url("/webhooks/twilio/incoming"), ANNA, &format!("Ja {code}"))
            .await;
        assert_eq!(status, 200);
        assert!(body.contains("<Response></Response>"), "empty TwiML: {body}");
        app.settle().await;

        assert_eq!(app.seat_status(seat).await, "confirmed");
        let inbox = twilio.to(ANNA);
        assert_eq!(inbox.len(), 2, "{inbox:?}");
        assert!(inbox[1].starts_with("Tak, Anna Jensen! Du er nu Valgstyrer"), "{}", inbox[1]);
        assert!(smtp.to(ANNA_MAIL).is_empty());
    }

    async fn a_twilio_webhook_with_a_wrong_signature_is_refused_and_changes_nothing(app, twilio, smtp) {
        let seat = invite_anna(&app, &twilio).await;
        let history = app.history(seat).await;
        let incoming = app.url("/webhooks/twilio/incoming");

        let forged = twilio.text_in_signed(&incoming, ANNA, "JA", "not-the-auth-token", &incoming).await;
        assert_eq!(forged.0, 403, "signed with another token");
        let replayed = twilio
            .text_in_signed(&incoming, ANNA, "JA", AUTH_TOKEN, "https://elsewhere.example/webhooks/twilio/incoming")
            .await;
        assert_eq!(replayed.0, 403, "signed for another address");
        let unsigned = app.http.post(&incoming).form(&[("MessageSid", "SM1"), ("From", ANNA), ("Body", "JA")]).send().await.unwrap();
        assert_eq!(unsigned.status(), 403, "not signed at all");
        let report = twilio.report_signed(0, "undelivered", Some("30003"), "not-the-auth-token").await;
        assert_eq!(report.0, 403, "a status callback signed with another token");
        app.settle().await;

        assert_eq!(app.seat_status(seat).await, "invited");
        assert_eq!(app.history(seat).await, history);
        assert_eq!(twilio.to(ANNA).len(), 1, "no reply to a refused message");
        assert_eq!(outbox_sms(&app, "invitation").await["delivery"], serde_json::Value::Null);
        assert!(smtp.to(ANNA_MAIL).is_empty(), "no fallback from a refused report");

        // The same message, signed as Twilio signs it, is taken.
        assert_eq!(twilio.text_in(&incoming, ANNA, "JA").await.0, 200);
        app.settle().await;
        assert_eq!(app.seat_status(seat).await, "confirmed");
    }

    async fn a_twilio_sms_reported_undelivered_goes_out_by_email_once(app, twilio, smtp) {
        let seat = invite_anna(&app, &twilio).await;

        assert_eq!(twilio.report(0, "sent", None).await.0, 200);
        assert_eq!(outbox_sms(&app, "invitation").await["delivery"], serde_json::Value::Null, "sent is not final");
        assert!(smtp.to(ANNA_MAIL).is_empty());

        assert_eq!(twilio.report(0, "undelivered", Some("30003")).await.0, 200);
        app.settle().await;
        let mails = smtp.to(ANNA_MAIL);
        assert_eq!(mails.len(), 1, "the same invitation by e-mail");
        assert_eq!(mails[0].header("Subject").unwrap(), "Vil du være Valgstyrer ved Kommunalvalg 2029?");
        let sms = outbox_sms(&app, "invitation").await;
        assert_eq!(sms["delivery"], "undelivered");
        assert_eq!(sms["delivery_detail"], "undelivered 30003");

        // Twilio may post the final status again.
        assert_eq!(twilio.report(0, "undelivered", Some("30003")).await.0, 200);
        app.settle().await;
        assert_eq!(smtp.to(ANNA_MAIL).len(), 1);

        let accept = mails[0].links()[0].clone();
        assert_eq!(app.http.post(&accept).send().await.unwrap().status(), 200);
        app.settle().await;
        assert_eq!(app.seat_status(seat).await, "confirmed");
    }

    async fn a_delivered_twilio_sms_is_marked_delivered_and_sends_nothing_more(app, twilio, smtp) {
        invite_anna(&app, &twilio).await;
        assert_eq!(twilio.report(0, "delivered", None).await.0, 200);
        app.settle().await;
        assert_eq!(outbox_sms(&app, "invitation").await["delivery"], "delivered");
        assert!(smtp.to(ANNA_MAIL).is_empty());
        assert_eq!(twilio.received().len(), 1);
    }
}

/// A blank secret would let anyone sign: a webhook set up with one
/// refuses every call, even one signed with the blank secret.
async fn a_blank_webhook_secret_refuses_a_call_signed_with_it(backend: Backend) {
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    setup.config.gatewayapi_webhook_secret = Some("  ".into());
    let app = setup.start().await;
    let sms = valgvagt::sms::gatewayapi::IncomingSms {
        id: 1,
        msisdn: 4520000001,
        receiver: None,
        message: "STOP".into(),
        senttime: None,
        webhook_label: None,
    };
    for secret in ["", "  "] {
        let r = app
            .http
            .post(app.url("/webhooks/gatewayapi/incoming"))
            .header(
                valgvagt::sms::gatewayapi::SIGNATURE_HEADER,
                valgvagt::sms::gatewayapi::sign_incoming(secret, &sms),
            )
            .json(&sms)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "signed with {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_webhook_secret_refuses_a_call_signed_with_it_on_sqlite() {
    a_blank_webhook_secret_refuses_a_call_signed_with_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_webhook_secret_refuses_a_call_signed_with_it_on_postgres() {
    a_blank_webhook_secret_refuses_a_call_signed_with_it(Backend::Postgres).await;
}
