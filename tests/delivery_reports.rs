//! Delivery reports from GatewayAPI's status webhook, and channel
//! fallback: an SMS reported undelivered goes out by e-mail when the
//! workflow lists e-mail after SMS.

mod support;

use support::builders::{assign, election, person};
use support::smtp::SmtpServer;
use support::{Backend, Setup, TestApp, WEBHOOK_SECRET};
use valgvagt::sms::gatewayapi::{self, DeliveryStatus};

const ANE: &str = "ane@example.dk";
const ANE_PHONE: &str = "+4520000001";

/// Invites Ane, who has a phone and an e-mail address and prefers SMS;
/// returns the seat and the invitation's outbox row.
async fn invite_ane(app: &TestApp) -> (i64, serde_json::Value) {
    let e = election(app, 1).await;
    let ane = person().email(ANE).prefers("sms").create(app).await;
    assign(app, e.seats[0], ane).await;
    assert_eq!(
        app.fake.to(ANE_PHONE).len(),
        1,
        "the invitation went by SMS"
    );
    (e.seats[0], outbox_row(app, "invitation", "sms").await)
}

async fn outbox_row(app: &TestApp, template: &str, channel: &str) -> serde_json::Value {
    let rows = app.get_json("/api/outbox").await;
    rows.as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == template && m["channel"] == channel)
        .cloned()
        .unwrap_or_else(|| panic!("no {template} by {channel} in {rows:#}"))
}

/// GatewayAPI reports on the message, signed with `secret`.
async fn report(app: &TestApp, row: &serde_json::Value, status: &str, secret: &str) -> u16 {
    let body = DeliveryStatus {
        id: row["provider_message_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        msisdn: 4520000001,
        time: Some(1_900_000_000.into()),
        status: status.into(),
        error: (status != "DELIVERED").then(|| "Unknown subscriber".into()),
        code: (status != "DELIVERED").then(|| "0x01".into()),
        userref: row["idempotency_key"].as_str().map(String::from),
    };
    let r = app
        .http
        .post(app.url("/webhooks/gatewayapi/status"))
        .header(
            gatewayapi::SIGNATURE_HEADER,
            gatewayapi::sign(secret, &body),
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    app.settle().await;
    r.status().as_u16()
}

with_email_on_both_backends! {
    async fn an_sms_reported_undeliverable_goes_out_by_email_with_working_links_once(app: TestApp, smtp: SmtpServer) {
        let (seat, sms) = invite_ane(&app).await;
        assert!(smtp.to(ANE).is_empty(), "SMS first");

        assert_eq!(report(&app, &sms, "UNDELIVERABLE", WEBHOOK_SECRET).await, 200);
        let mails = smtp.to(ANE);
        assert_eq!(mails.len(), 1, "the same invitation by e-mail");
        assert_eq!(mails[0].header("Subject").unwrap(), "Vil du være Valgstyrer ved Kommunalvalg 2029?");
        let sms = outbox_row(&app, "invitation", "sms").await;
        assert_eq!(sms["delivery"], "undelivered");
        assert_eq!(sms["delivery_detail"], "UNDELIVERABLE 0x01: Unknown subscriber");
        let email = outbox_row(&app, "invitation", "email").await;
        assert_eq!(email["fallback_of"], sms["id"], "the outbox shows both attempts");

        // Gateways repeat reports: no second e-mail.
        assert_eq!(report(&app, &sms, "UNDELIVERABLE", WEBHOOK_SECRET).await, 200);
        assert_eq!(smtp.to(ANE).len(), 1);

        let accept = mails[0].links()[0].clone();
        let r = app.http.post(&accept).send().await.unwrap();
        assert_eq!(r.status(), 200);
        app.settle().await;
        assert_eq!(app.seat_status(seat).await, "confirmed");
    }

    async fn a_delivered_sms_is_marked_delivered_and_sends_nothing_more(app: TestApp, smtp: SmtpServer) {
        let (_, sms) = invite_ane(&app).await;
        assert_eq!(report(&app, &sms, "ENROUTE", WEBHOOK_SECRET).await, 200);
        assert_eq!(outbox_row(&app, "invitation", "sms").await["delivery"], serde_json::Value::Null, "not final yet");
        assert_eq!(report(&app, &sms, "DELIVERED", WEBHOOK_SECRET).await, 200);
        assert_eq!(outbox_row(&app, "invitation", "sms").await["delivery"], "delivered");
        assert!(smtp.to(ANE).is_empty());
    }

    async fn a_report_with_a_wrong_signature_is_refused_and_changes_nothing(app: TestApp, smtp: SmtpServer) {
        let (_, sms) = invite_ane(&app).await;
        assert_eq!(report(&app, &sms, "UNDELIVERABLE", "not-the-secret").await, 403);
        assert_eq!(outbox_row(&app, "invitation", "sms").await["delivery"], serde_json::Value::Null);
        assert!(smtp.to(ANE).is_empty());
    }
}
