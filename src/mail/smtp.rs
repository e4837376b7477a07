//! Sending over SMTP with lettre: `smtp://host:25` (plain, for a relay on
//! the same network or tests), `smtp://host:587?tls=required` (STARTTLS),
//! `smtps://host:465` (implicit TLS), with `user:password@` for AUTH. The
//! server's certificate is checked against the public roots, and against
//! a CA of the municipality's own when one is configured.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::sms::SendError;

#[derive(Clone)]
pub struct EmailConfig {
    /// `smtp://…` or `smtps://…`; see the module docs.
    pub smtp_url: String,
    /// `Valgsekretariatet <valg@kommune.dk>`.
    pub from: String,
    /// A PEM file with a CA certificate the SMTP server's certificate may
    /// chain to, besides the public roots (an internal mail relay).
    pub ca_file: Option<std::path::PathBuf>,
}

/// The URL may hold a password: it is never printed.
impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailConfig(..)")
    }
}

/// One e-mail to send.
pub struct OutgoingMail<'a> {
    pub outbox_id: i64,
    /// Stable across retries; becomes the Message-ID.
    pub idempotency_key: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// An .ics file to attach.
    pub calendar: Option<&'a str>,
}

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smtp(..)")
    }
}

/// Plain text and HTML as alternatives; with a calendar file, both inside
/// a mixed part with the .ics attached.
fn body(mail: &OutgoingMail<'_>) -> MultiPart {
    let alternative =
        MultiPart::alternative_plain_html(mail.text.to_string(), mail.html.to_string());
    match mail.calendar {
        Some(ics) => MultiPart::mixed().multipart(alternative).singlepart(
            Attachment::new("valgvagt.ics".into()).body(
                ics.to_string(),
                ContentType::parse(if ics.contains("\r\nMETHOD:CANCEL\r\n") {
                    "text/calendar; method=CANCEL; charset=utf-8"
                } else {
                    "text/calendar; method=PUBLISH; charset=utf-8"
                })
                .expect("a valid content type"),
            ),
        ),
        None => alternative,
    }
}

/// The URL's TLS mode with `ca_file` trusted besides the public roots.
fn tls_trusting(smtp_url: &str, ca_file: &std::path::Path) -> anyhow::Result<Tls> {
    let pem = std::fs::read(ca_file).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the SMTP server's CA (VALGVAGT_SMTP_CA) {}: {e}",
            ca_file.display()
        )
    })?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        anyhow::bail!(
            "the SMTP server's CA (VALGVAGT_SMTP_CA) {} is not a PEM certificate",
            ca_file.display()
        );
    }
    let cert = Certificate::from_pem(&pem).map_err(|e| {
        anyhow::anyhow!(
            "the SMTP server's CA (VALGVAGT_SMTP_CA) {} is not a PEM certificate: {e}",
            ca_file.display()
        )
    })?;
    let url = reqwest::Url::parse(smtp_url)
        .map_err(|e| anyhow::anyhow!("the SMTP URL (VALGVAGT_SMTP_URL) is not usable: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("the SMTP URL (VALGVAGT_SMTP_URL) names no host"))?;
    let params = TlsParameters::builder(host.trim_matches(['[', ']']).to_string())
        .add_root_certificate(cert)
        .build()
        .map_err(|e| anyhow::anyhow!("TLS for the SMTP server cannot be set up: {e}"))?;
    let mode = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    match (url.scheme(), mode.as_deref()) {
        ("smtps", _) => Ok(Tls::Wrapper(params)),
        (_, Some("required")) => Ok(Tls::Required(params)),
        (_, Some("opportunistic")) => Ok(Tls::Opportunistic(params)),
        _ => anyhow::bail!(
            "VALGVAGT_SMTP_CA is set but the SMTP URL asks for no TLS: use smtps:// or ?tls=required"
        ),
    }
}

impl Smtp {
    /// Builds the transport; no connection is made until the first send.
    /// Must run inside the Tokio runtime (the pool starts a task).
    pub fn new(config: &EmailConfig) -> anyhow::Result<Smtp> {
        let from: Mailbox = config.from.parse().map_err(|e| {
            anyhow::anyhow!("the sender address (VALGVAGT_MAIL_FROM) does not parse: {e}")
        })?;
        let domain = from.email.domain().to_string();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| anyhow::anyhow!("the SMTP URL (VALGVAGT_SMTP_URL) is not usable: {e}"))?
            .timeout(Some(Duration::from_secs(30)));
        if let Some(path) = &config.ca_file {
            builder = builder.tls(tls_trusting(&config.smtp_url, path)?);
        }
        let transport = builder.build();
        Ok(Smtp {
            transport,
            from,
            domain,
        })
    }

    /// The sender's domain: Message-IDs and calendar UIDs are made in it.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The sender's address, the organizer of calendar entries.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Sends one message; returns its Message-ID.
    pub async fn send(&self, mail: &OutgoingMail<'_>) -> Result<String, SendError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| SendError::Permanent("the e-mail address does not parse".into()))?;
        let message_id = format!("<{}@{}>", mail.idempotency_key, self.domain);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(message_id.clone()))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ))
            .multipart(body(mail))
            .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(message_id),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP refused: {e}"))),
            Err(e) => Err(SendError::Temporary(format!("SMTP: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, from: &str) -> EmailConfig {
        EmailConfig {
            smtp_url: url.into(),
            from: from.into(),
            ca_file: None,
        }
    }

    #[tokio::test]
    async fn plain_starttls_and_implicit_tls_urls_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.kommune.dk:587?tls=required",
            "smtps://user:secret@mail.kommune.dk:465",
        ] {
            Smtp::new(&config(url, "Valg <valg@kommune.dk>")).expect(url);
        }
    }

    #[tokio::test]
    async fn a_bad_url_or_sender_is_refused_with_the_setting_named() {
        let e = Smtp::new(&config("http://mail.kommune.dk", "valg@kommune.dk")).unwrap_err();
        assert!(e.to_string().contains("VALGVAGT_SMTP_URL"), "{e}");
        let e = Smtp::new(&config("smtp://127.0.0.1:25", "Valg <not an address>")).unwrap_err();
        assert!(e.to_string().contains("VALGVAGT_MAIL_FROM"), "{e}");
    }

    #[tokio::test]
    async fn a_ca_that_cannot_be_read_or_a_ca_without_tls_is_refused_with_the_setting_named() {
        let mut c = config("smtps://mail.kommune.dk:465", "valg@kommune.dk");
        c.ca_file = Some("/nonexistent/ca.pem".into());
        let e = Smtp::new(&c).unwrap_err();
        assert!(e.to_string().contains("VALGVAGT_SMTP_CA"), "{e}");
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
        c.ca_file = Some(fixtures.join("server.key"));
        let e = Smtp::new(&c).unwrap_err();
        assert!(e.to_string().contains("not a PEM certificate"), "{e}");
        c.ca_file = Some(fixtures.join("ca.pem"));
        Smtp::new(&c).expect("implicit TLS with the CA");
        c.smtp_url = "smtp://mail.kommune.dk:25".into();
        let e = Smtp::new(&c).unwrap_err();
        assert!(e.to_string().contains("asks for no TLS"), "{e}");
    }
}
