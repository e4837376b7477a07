//! E-mail over TLS to a real SMTP server on loopback: STARTTLS with
//! AUTH PLAIN, and implicit TLS, with the server's certificate checked
//! against the CA the service is told to trust (`VALGVAGT_SMTP_CA`).

mod support;

use support::builders::{assign, election, person};
use support::smtp::{Security, SmtpServer};
use support::{Backend, Setup, TestApp};

const ANE: &str = "ane@example.dk";

fn starttls() -> Security {
    Security::StartTls {
        user: "valgvagt".into(),
        password: "s3cret".into(),
    }
}

/// The app sending e-mail to `smtp`, its settings changed by `tweak`.
async fn spawn(
    backend: Backend,
    smtp: &SmtpServer,
    tweak: impl FnOnce(&mut valgvagt::mail::EmailConfig),
) -> Option<TestApp> {
    let mut setup = Setup::new(backend).await?;
    setup.with_email(smtp);
    tweak(setup.config.email.as_mut().expect("e-mail is on"));
    Some(setup.start().await)
}

/// Invites Ane, who prefers e-mail; returns the invitation's outbox row.
async fn invite_ane(app: &TestApp) -> serde_json::Value {
    let e = election(app, 1).await;
    let ane = person().email(ANE).create(app).await;
    assign(app, e.seats[0], ane).await;
    let rows = app.get_json("/api/outbox").await;
    rows.as_array()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == "email")
        .cloned()
        .unwrap_or_else(|| panic!("no e-mail in {rows:#}"))
}

macro_rules! on_both_backends_with_smtp {
    ($(async fn $name:ident($security:expr, $tweak:expr, $app:ident, $smtp:ident) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($app: TestApp, $smtp: SmtpServer) $body

                async fn run(backend: Backend) {
                    let smtp = SmtpServer::start_with($security);
                    let Some(app) = spawn(backend, &smtp, $tweak).await else { return };
                    body(app, smtp).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    run(Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    run(Backend::Postgres).await;
                }
            }
        )*
    };
}

on_both_backends_with_smtp! {
    async fn an_invitation_goes_out_over_starttls_after_logging_in(starttls(), |_| {}, app, smtp) {
        let row = invite_ane(&app).await;
        assert_eq!(row["status"], "sent", "{row}");
        let mails = smtp.to(ANE);
        assert_eq!(mails.len(), 1);
        assert!(mails[0].part("text/plain").unwrap().contains("Vil du være Valgstyrer"));
        assert!(mails[0].part("text/html").is_some());
    }

    async fn an_invitation_goes_out_over_implicit_tls(Security::Implicit, |_| {}, app, smtp) {
        let row = invite_ane(&app).await;
        assert_eq!(row["status"], "sent", "{row}");
        assert_eq!(smtp.to(ANE).len(), 1);
    }

    async fn a_wrong_smtp_password_sends_nothing_and_the_refusal_is_kept(
        starttls(),
        |c| c.smtp_url = c.smtp_url.replace(":s3cret@", ":wrong@"),
        app,
        smtp
    ) {
        let row = invite_ane(&app).await;
        assert_ne!(row["status"], "sent", "{row}");
        assert!(row["last_error"].as_str().unwrap_or_default().contains("535"), "{row}");
        assert!(smtp.inbox().is_empty());
    }

    async fn a_server_certificate_the_service_does_not_trust_sends_nothing(
        starttls(),
        |c| c.ca_file = None,
        app,
        smtp
    ) {
        let row = invite_ane(&app).await;
        assert_ne!(row["status"], "sent", "{row}");
        assert!(row["last_error"].as_str().unwrap_or_default().contains("UnknownIssuer"), "{row}");
        assert!(smtp.inbox().is_empty());
    }
}
