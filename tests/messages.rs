//! Every message template, rendered in Danish and English with the data a
//! real seat gives it. Snapshots: a change in wording shows up in review.

use std::path::Path;

use chrono::{NaiveDate, NaiveTime};
use valgvagt::domain::Language;
use valgvagt::messages::{Catalog, Contact, MessageContext, QuestionSummary, SeatLine, SwapOption};
use valgvagt::store::SeatDetails;

fn seat() -> SeatDetails {
    SeatDetails {
        seat_id: 1,
        date: NaiveDate::from_ymd_opt(2029, 11, 20).unwrap(),
        status: "invited".into(),
        election_id: 1,
        election: "Kommunalvalg 2029".into(),
        time_zone: "Europe/Copenhagen".into(),
        lock_days: 0,
        election_active: true,
        station_id: 1,
        station: "Rådhushallen".into(),
        address: "Rådhuspladsen 1".into(),
        task_type: "Valgstyrer".into(),
        start_time: NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
        end_time: NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
        payment_ore: 60_000,
        team_id: 1,
        team: "Borgerlisten".into(),
        person_id: Some(1),
        code: Some("S3".into()),
    }
}

fn catalog() -> Catalog {
    Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")).unwrap()
}

fn contact() -> Contact {
    Contact {
        municipality: "Testrup Kommune".into(),
        contact: "70 10 20 30".into(),
        phone: String::new(),
        email: String::new(),
    }
}

/// The stations a swap message lists.
fn swap_options() -> Vec<SwapOption> {
    vec![
        SwapOption {
            n: 1,
            station: "Biblioteket".into(),
            address: "Bibliotekvej 2".into(),
        },
        SwapOption {
            n: 2,
            station: "Østre Skole".into(),
            address: "Skolevej 3".into(),
        },
    ]
}

fn render_all(language: Language) -> String {
    render_all_with(language, &contact())
}

fn render_all_with(language: Language, contact: &Contact) -> String {
    let catalog = catalog();
    let mut out = String::new();
    for name in catalog.names() {
        if !catalog.has(name, "sms") {
            continue;
        }
        let mut context = MessageContext::new(contact).with_seat(&seat(), language);
        context.name = "Anna Jensen".into();
        context.code = "K7".into();
        context.answer = "NEJ".into();
        context.questions = vec![
            QuestionSummary {
                code: "K7".into(),
                station: "Rådhushallen".into(),
                task_type: "Valgstyrer".into(),
                date: "20/11".into(),
            },
            QuestionSummary {
                code: "B3".into(),
                station: "Østre Skole".into(),
                task_type: "Fintæller".into(),
                date: "21/11".into(),
            },
        ];
        context.options = swap_options();
        context.requested_station = "Skolen".into();
        context.text = "Husk at tage kuglepen med. Vi mødes kl. 7:15 ved indgangen.".into();
        // As long as a real one: `/l/<id>-<27 characters>` on the public address.
        context.links.cancel = format!("https://valg.testrup.dk/l/12345-{}", "A".repeat(27));
        let body = catalog
            .render(name, "sms", language, &context.to_tera())
            .unwrap();
        out.push_str(&format!(
            "--- {name} ({} characters)\n{body}\n",
            body.chars().count()
        ));
    }
    out
}

/// Every template written for the Telegram chat (the others read as their
/// SMS does there), and the SMS invitation with the deep link that opens
/// the chat.
fn render_all_chat(language: Language) -> String {
    let catalog = catalog();
    let contact = contact();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/messages/da");
    let mut out = String::new();
    let mut context = MessageContext::new(&contact).with_seat(&seat(), language);
    context.name = "Anna Jensen".into();
    context.code = "K7".into();
    let mut confirmed = SeatLine::of(&seat(), language);
    confirmed.status = "confirmed".into();
    let mut invited = SeatLine::of(&seat(), language);
    invited.status = "invited".into();
    invited.station = "Østre Skole".into();
    context.seats = vec![confirmed, invited];
    for name in catalog.names() {
        if !root.join(format!("{name}.telegram.tera")).exists() {
            continue;
        }
        let reasons: &[&str] = match name.as_str() {
            "telegram_link_refused" => &["used", "expired", "invalid"],
            "telegram_language" => &["", "unknown"],
            _ => &[""],
        };
        for reason in reasons {
            context.reason = reason.to_string();
            let body = catalog
                .render(name, "telegram", language, &context.to_tera())
                .unwrap();
            out.push_str(&format!("--- {name} {reason}\n{body}\n"));
        }
    }
    context.seats.clear();
    context.reason.clear();
    out.push_str("--- /status with no seats\n");
    out.push_str(
        &catalog
            .render("telegram_status", "telegram", language, &context.to_tera())
            .unwrap(),
    );
    // As long as a real one: the bot's name and `<id>-<27 characters>`.
    context.links.telegram = format!(
        "https://t.me/testrup_valg_bot?start=12345-{}",
        "A".repeat(27)
    );
    let body = catalog
        .render("invitation", "sms", language, &context.to_tera())
        .unwrap();
    out.push_str(&format!(
        "\n--- invitation by SMS with the deep link ({} characters)\n{body}\n",
        body.chars().count()
    ));
    out
}

#[test]
fn every_chat_template_renders_in_danish() {
    insta::assert_snapshot!(render_all_chat(Language::Da));
}

#[test]
fn every_chat_template_renders_in_english() {
    insta::assert_snapshot!(render_all_chat(Language::En));
}

#[test]
fn no_message_asks_to_call_an_e_mail_address() {
    let only_email = Contact {
        municipality: "Testrup Kommune".into(),
        contact: "valg@testrup.dk".into(),
        phone: String::new(),
        email: String::new(),
    };
    for language in [Language::Da, Language::En] {
        let all = render_all_with(language, &only_email);
        for line in all.lines() {
            let lower = line.to_lowercase();
            for call in ["ring til valg@", "ring straks til valg@", "call valg@"] {
                assert!(!lower.contains(call), "{line}");
            }
        }
        assert!(
            all.contains("til valg@testrup.dk") || all.contains("to valg@testrup.dk"),
            "written to instead"
        );
    }
    let both = Contact {
        phone: "70 10 20 30".into(),
        email: "valg@testrup.dk".into(),
        ..only_email
    };
    let all = render_all_with(Language::Da, &both);
    assert!(
        all.contains("Ring til 70 10 20 30") && all.contains("Spørgsmål: valg@testrup.dk"),
        "{all}"
    );
}

#[test]
fn every_sms_template_renders_in_danish() {
    insta::assert_snapshot!(render_all(Language::Da));
}

#[test]
fn every_sms_template_renders_in_english() {
    insta::assert_snapshot!(render_all(Language::En));
}

/// Every e-mail template as the message it becomes: subject, plain text
/// with its footer, and the HTML part with links as buttons (their
/// markers become signed addresses at delivery).
fn compose_all_emails(language: Language) -> String {
    let catalog = catalog();
    let contact = contact();
    let mut out = String::new();
    for name in catalog.names().iter().filter(|n| catalog.has(n, "email")) {
        let mut context = MessageContext::new(&contact).with_seat(&seat(), language);
        context.name = "Anna Jensen".into();
        context.code = "K7".into();
        context.links.accept = valgvagt::mail::compose::link_marker(1);
        context.links.decline = valgvagt::mail::compose::link_marker(2);
        context.links.swap = valgvagt::mail::compose::link_marker(3);
        context.links.cancel = valgvagt::mail::compose::link_marker(4);
        context.options = swap_options();
        context.requested_station = "Skolen".into();
        context.text = "Husk at tage kuglepen med. Vi mødes kl. 7:15 ved indgangen.".into();
        let text = catalog
            .render(name, "email", language, &context.to_tera())
            .unwrap();
        let mail =
            valgvagt::mail::compose(&text, language, &contact, catalog.email_layout()).unwrap();
        out.push_str(&format!(
            "=== {name}
Subject: {}
--- text
{}--- html
{}
",
            mail.subject, mail.text, mail.html
        ));
    }
    out
}

#[test]
fn every_email_template_composes_in_danish() {
    insta::assert_snapshot!(compose_all_emails(Language::Da));
}

#[test]
fn every_email_template_composes_in_english() {
    insta::assert_snapshot!(compose_all_emails(Language::En));
}

#[test]
fn a_missing_english_template_falls_back_to_danish_and_a_missing_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("messages/da")).unwrap();
    std::fs::write(
        dir.path().join("messages/da/hello.sms.tera"),
        "Hej {{ name }}",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("email")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/email/layout.html.tera"),
        dir.path().join("email/layout.html.tera"),
    )
    .unwrap();
    let catalog = Catalog::load(dir.path()).unwrap();
    let context = MessageContext {
        name: "Carla".into(),
        ..Default::default()
    };
    assert_eq!(
        catalog
            .render("hello", "sms", Language::En, &context.to_tera())
            .unwrap(),
        "Hej Carla"
    );
    let err = catalog
        .render("goodbye", "sms", Language::En, &context.to_tera())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "there is no template `goodbye` for sms in Danish or en"
    );
}

/// The template editor refuses an edit that fails on made-up values; every
/// shipped template passes, so saving one unchanged is never refused.
#[test]
fn every_shipped_template_renders_on_the_editors_sample_values() {
    let catalog = catalog();
    let layout = catalog.email_layout();
    for (name, channel, language) in catalog.templates() {
        let lang = Language::parse(&language).expect("language");
        let (body, _) = catalog.source(&name, &channel, &language).expect("source");
        let context = MessageContext::sample(&contact(), lang);
        let text = valgvagt::messages::render_text(body, &context.to_tera())
            .unwrap_or_else(|e| panic!("{language}/{name}.{channel}: {e}"));
        if channel == "email" {
            valgvagt::mail::compose(&text, lang, &contact(), layout)
                .unwrap_or_else(|e| panic!("{language}/{name}.{channel}: {e}"));
        }
    }
}
