//! The Telegram bot, against a fake Bot API over real HTTP: linking a chat
//! with the deep link in an invitation, answering with buttons and in
//! words, the commands, and webhook mode.

mod support;

use support::builders::*;
use support::{Backend, Setup, TestApp};
use valgvagt::app::TelegramConfig;
use valgvagt_bots::telegram::SECRET_HEADER;
use valgvagt_bots::telegram::fake::{FakeTelegram, Sent};

const ANNA: &str = "+4520000001";
const CHAT: i64 = 4_200_001;
const OTHER_CHAT: i64 = 4_200_002;
const SECRET: &str = "webhook-secret_42";

/// Runs a test body on SQLite and on PostgreSQL with the bot pointed at a
/// fresh fake Bot API, by long polling (or by webhook, when the body's
/// name says `webhook`).
macro_rules! with_telegram_on_both_backends {
    ($(async fn $name:ident($app:ident : TestApp, $tg:ident : FakeTelegram) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($app: TestApp, $tg: FakeTelegram) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    let webhook = stringify!($name).contains("webhook");
                    let (app, tg) = spawn(Backend::Sqlite, webhook).await.expect("sqlite app");
                    body(app, tg).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    let webhook = stringify!($name).contains("webhook");
                    let Some((app, tg)) = spawn(Backend::Postgres, webhook).await else { return };
                    body(app, tg).await;
                }
            }
        )*
    };
}

async fn spawn(backend: Backend, webhook: bool) -> Option<(TestApp, FakeTelegram)> {
    let tg = FakeTelegram::start("123456:test-bot-token")
        .await
        .expect("fake Bot API");
    let mut setup = Setup::new(backend).await?;
    setup.config.telegram = Some(TelegramConfig {
        token: tg.token.clone(),
        api_url: Some(tg.api_url()),
        webhook_secret: webhook.then(|| SECRET.to_string()),
    });
    Some((setup.start().await, tg))
}

/// The deep link's token in a message, or `None`.
fn deep_link_token(message: &str) -> Option<String> {
    let prefix = format!(
        "https://t.me/{}?start=",
        valgvagt_bots::telegram::fake::USERNAME
    );
    let at = message.find(&prefix)? + prefix.len();
    Some(
        message[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

/// The person writes in the chat, and everything it causes is done.
async fn write(app: &TestApp, tg: &FakeTelegram, chat: i64, text: &str) {
    let update = tg.text_from(chat, text);
    tg.wait_taken(update).await;
    app.settle().await;
}

/// The person presses the button labelled `label` under `message`.
async fn press(app: &TestApp, tg: &FakeTelegram, message: &Sent, label: &str) {
    let data = message
        .button(label)
        .unwrap_or_else(|| panic!("no button {label:?} under {message:?}"));
    let update = tg.press(message.chat_id, message.message_id, &data);
    tg.wait_taken(update).await;
    app.settle().await;
}

/// Anna is invited to the election's first seat by SMS, with a deep link,
/// and opens it in Telegram; returns the election and the chat messages
/// that follow (the welcome and the open question).
async fn linked_anna(app: &TestApp, tg: &FakeTelegram) -> (Election, i64) {
    let e = election(app, 2).await;
    let anna = person().name("Anna Jensen").phone(ANNA).create(app).await;
    assign(app, e.seats[0], anna).await;
    let sms = app.fake.to(ANNA);
    assert_eq!(sms.len(), 1, "the invitation by SMS");
    let token = deep_link_token(&sms[0]).expect("a deep link in the invitation");
    assert!(token.len() <= 64, "{token}");
    write(app, tg, CHAT, &format!("/start {token}")).await;
    (e, anna)
}

with_telegram_on_both_backends! {
    async fn a_person_links_their_chat_from_the_invitation_and_confirms_with_a_button(app: TestApp, tg: FakeTelegram) {
        let (e, _) = linked_anna(&app, &tg).await;
        let chat = tg.sent_to(CHAT);
        assert_eq!(chat.len(), 2, "a welcome and the open question: {chat:?}");
        assert!(chat[0].text.contains("Hej Anna Jensen. Du får nu beskeder"), "{}", chat[0].text);
        let question = &chat[1];
        assert!(question.text.contains("Valgstyrer ved Kommunalvalg 2029"), "{}", question.text);
        assert_eq!(question.labels(), [vec!["Ja", "Nej"], vec!["Skift valgsted"]]);

        press(&app, &tg, question, "Ja").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        assert_eq!(tg.notices(), ["Tak, dit svar er modtaget."]);
        let edited = &tg.edits()[0];
        assert_eq!(edited.message_id, question.message_id);
        assert!(edited.text.ends_with("✅ Du svarede ja."), "{}", edited.text);
        assert!(edited.buttons.is_empty(), "the buttons are gone");
        let seat = app.get_json(&format!("/api/seats/{}", e.seats[0])).await;
        let confirmed = seat["history"].as_array().unwrap().iter().find(|h| h["event"] == "answered_yes").expect("the answer in the history");
        assert_eq!(confirmed["channel"], "telegram");
        assert!(confirmed["inbound_id"].is_i64(), "the press is a received message: {confirmed}");
        let chat = tg.sent_to(CHAT);
        assert_eq!(chat.len(), 3, "the confirmation comes in the chat: {chat:?}");
        assert!(chat[2].text.contains("Rådhushallen"), "{}", chat[2].text);
        assert_eq!(app.fake.to(ANNA).len(), 1, "no SMS after linking");
    }

    async fn afmeld_in_the_chat_gives_up_the_seat(app: TestApp, tg: FakeTelegram) {
        let (e, _) = linked_anna(&app, &tg).await;
        let question = tg.sent_to(CHAT)[1].clone();
        press(&app, &tg, &question, "Ja").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        write(&app, &tg, CHAT, "afmeld").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        let last = tg.sent_to(CHAT).last().unwrap().text.clone();
        assert!(last.contains("Du er afmeldt som Valgstyrer på Rådhushallen"), "{last}");
    }

    async fn a_used_an_expired_or_a_made_up_token_links_nothing(app: TestApp, tg: FakeTelegram) {
        let e = election(&app, 2).await;
        let anna = person().name("Anna Jensen").phone(ANNA).create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let token = deep_link_token(&app.fake.to(ANNA)[0]).expect("a deep link");

        write(&app, &tg, OTHER_CHAT, "/start 12-AAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
        let refused = tg.sent_to(OTHER_CHAT);
        assert!(refused[0].text.starts_with("Linket kender vi ikke."), "{}", refused[0].text);
        // Anna's link with the first character of its tag changed (the
        // last may carry unused bits).
        let (id, tag) = token.split_once('-').expect("<id>-<tag>");
        let first = if tag.starts_with('A') { 'B' } else { 'A' };
        let tampered = format!("{id}-{first}{}", &tag[1..]);
        write(&app, &tg, OTHER_CHAT, &format!("/start {tampered}")).await;
        assert!(tg.sent_to(OTHER_CHAT)[1].text.starts_with("Linket kender vi ikke."));

        write(&app, &tg, CHAT, &format!("/start {token}")).await;
        assert!(tg.sent_to(CHAT)[0].text.contains("Du får nu beskeder"));
        write(&app, &tg, OTHER_CHAT, &format!("/start {token}")).await;
        let refused = tg.sent_to(OTHER_CHAT);
        assert_eq!(refused.len(), 3);
        assert!(refused[2].text.starts_with("Linket er allerede brugt."), "{}", refused[2].text);
        let other_chat_answers = tg.text_from(OTHER_CHAT, "JA");
        tg.wait_taken(other_chat_answers).await;
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[0]).await, "invited", "a chat that is not linked answers for nobody");
        assert!(tg.sent_to(OTHER_CHAT)[3].text.contains("ikke forbundet"), "{:?}", tg.sent_to(OTHER_CHAT)[3]);

        // Bo's link is not used in time.
        let bo = person().name("Bo Holm").cpr("010190-1235").phone("+4520000002").create(&app).await;
        assign(&app, e.seats[1], bo).await;
        let late = deep_link_token(&app.fake.to("+4520000002")[0]).expect("a deep link");
        app.advance(chrono::Duration::days(31)).await;
        write(&app, &tg, OTHER_CHAT, &format!("/start {late}")).await;
        let refused = tg.sent_to(OTHER_CHAT);
        assert!(refused.last().unwrap().text.starts_with("Linket er udløbet."), "{:?}", refused.last());
        let bo_now = app.get_json(&format!("/api/people/{bo}")).await;
        assert!(bo_now["telegram_chat_id"].is_null(), "{bo_now}");
    }

    async fn an_invitation_to_a_linked_chat_comes_with_buttons_and_not_by_sms(app: TestApp, tg: FakeTelegram) {
        let (e, anna) = linked_anna(&app, &tg).await;
        let question = tg.sent_to(CHAT)[1].clone();
        press(&app, &tg, &question, "Nej").await;
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(tg.edits()[0].text.ends_with("❌ Du svarede nej."));

        assign(&app, e.seats[1], anna).await;
        let chat = tg.sent_to(CHAT);
        let invitation = chat.last().unwrap();
        assert!(invitation.text.starts_with("Hej Anna Jensen. Vil du være Valgstyrer"), "{}", invitation.text);
        assert!(invitation.text.contains("Tryk Ja eller Nej herunder"), "{}", invitation.text);
        assert_eq!(invitation.labels(), [vec!["Ja", "Nej"], vec!["Skift valgsted"]]);
        assert_eq!(app.fake.to(ANNA).len(), 1, "only the first invitation went by SMS");

        // Words work as well as buttons.
        write(&app, &tg, CHAT, "ja").await;
        assert_eq!(app.seat_status(e.seats[1]).await, "confirmed");
    }

    async fn a_person_who_blocked_the_bot_is_unlinked_and_invited_by_sms(app: TestApp, tg: FakeTelegram) {
        let (e, anna) = linked_anna(&app, &tg).await;
        press(&app, &tg, &tg.sent_to(CHAT)[1].clone(), "Nej").await;
        let in_chat = tg.sent_to(CHAT).len();
        tg.block(CHAT);

        assign(&app, e.seats[1], anna).await;
        assert_eq!(tg.sent_to(CHAT).len(), in_chat, "Telegram refused it");
        let sms = app.fake.to(ANNA);
        assert_eq!(sms.len(), 2, "the invitation went by SMS instead: {sms:?}");
        assert!(sms[1].contains("Svar JA"), "{}", sms[1]);
        let person = app.get_json(&format!("/api/people/{anna}")).await;
        assert!(person["telegram_chat_id"].is_null(), "{person}");
        assert_eq!(person["preferred_channel"], "sms");
        let dead = app.get_json("/api/dead-letters").await;
        assert_eq!(dead.as_array().unwrap().len(), 1, "{dead}");
        assert_eq!(dead[0]["channel"], "telegram");
    }

    async fn skift_valgsted_lists_the_free_stations_as_buttons_and_one_press_moves_the_person(app: TestApp, tg: FakeTelegram) {
        let e = import(&app, r#"
election: { title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1, voting_area: "1" }
      - { name: Østre Skole, address: Skolevej 4, voting_area: "2" }
teams: [Borgerlisten]
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Borgerlisten, count: 1 }
  - { station: Østre Skole, task_type: Valgstyrer, team: Borgerlisten, count: 1 }
"#).await;
        let anna = person().name("Anna Jensen").phone(ANNA).create(&app).await;
        assign(&app, e.seats[0], anna).await;
        let token = deep_link_token(&app.fake.to(ANNA)[0]).expect("a deep link");
        write(&app, &tg, CHAT, &format!("/start {token}")).await;
        let question = tg.sent_to(CHAT)[1].clone();

        press(&app, &tg, &question, "Skift valgsted").await;
        assert_eq!(tg.notices(), ["Du får de ledige valgsteder om et øjeblik."]);
        let options = tg.sent_to(CHAT).last().unwrap().clone();
        assert!(options.text.contains("Østre Skole"), "{}", options.text);
        assert_eq!(options.labels(), [vec!["1. Østre Skole"], vec!["Behold min plads"]]);

        press(&app, &tg, &options, "1. Østre Skole").await;
        assert_eq!(app.seat_status(e.seats[1]).await, "confirmed");
        assert_eq!(app.seat_status(e.seats[0]).await, "vacant");
        assert!(tg.edits().last().unwrap().text.ends_with("✅ Du valgte 1."));
        let confirmation = tg.sent_to(CHAT).last().unwrap().text.clone();
        assert!(confirmation.contains("Østre Skole"), "the swap is confirmed in the chat: {confirmation}");
        assert_eq!(app.fake.to(ANNA).len(), 1, "nothing by SMS after linking");
    }

    async fn a_button_of_a_question_no_longer_open_changes_nothing(app: TestApp, tg: FakeTelegram) {
        let (e, _) = linked_anna(&app, &tg).await;
        let question = tg.sent_to(CHAT)[1].clone();
        press(&app, &tg, &question, "Ja").await;
        let sent = tg.sent_to(CHAT).len();

        press(&app, &tg, &question, "Nej").await;
        assert_eq!(tg.notices().last().unwrap(), "Spørgsmålet er ikke længere åbent.");
        assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");
        assert_eq!(tg.edits().len(), 1, "the message is not edited again");
        assert_eq!(tg.sent_to(CHAT).len(), sent, "nothing is sent");

        // Data a client made up, for a question of someone else.
        let bo = person().name("Bo Holm").cpr("010190-1235").phone("+4520000002").create(&app).await;
        assign(&app, e.seats[1], bo).await;
        let outbox = app.get_json("/api/outbox").await;
        let bos_question = outbox.as_array().unwrap().iter()
            .find(|m| m["recipient"] == "+4520000002")
            .and_then(|m| m["question_id"].as_i64())
            .expect("Bo's invitation asks a question");
        let notices = tg.notices().len();
        let forged = tg.press(CHAT, question.message_id, &format!("accept:{bos_question}"));
        tg.wait_taken(forged).await;
        app.settle().await;
        assert_eq!(app.seat_status(e.seats[1]).await, "invited");
        assert_eq!(tg.notices().len(), notices + 1, "the press is answered");
        assert_eq!(tg.notices().last().unwrap(), "Spørgsmålet er ikke længere åbent.");
    }

    async fn status_lists_the_seats_and_sprog_and_stop_change_the_chat(app: TestApp, tg: FakeTelegram) {
        let (e, anna) = linked_anna(&app, &tg).await;
        write(&app, &tg, CHAT, "/status").await;
        let status = tg.sent_to(CHAT).last().unwrap().text.clone();
        assert!(status.starts_with("Dine pladser:"), "{status}");
        assert!(status.contains("Valgstyrer, tirsdag 20. november 2029 kl. 07:30-21:00"), "{status}");
        assert!(status.contains("Rådhushallen, Rådhuspladsen 1"), "{status}");
        assert!(status.contains("Venter på dit svar"), "{status}");
        press(&app, &tg, &tg.sent_to(CHAT)[1].clone(), "Ja").await;
        write(&app, &tg, CHAT, "/status").await;
        assert!(tg.sent_to(CHAT).last().unwrap().text.contains("Bekræftet"));

        write(&app, &tg, CHAT, "/sprog en").await;
        assert_eq!(tg.sent_to(CHAT).last().unwrap().text, "You will get our messages in English now.");
        write(&app, &tg, CHAT, "/hjaelp").await;
        let help = tg.sent_to(CHAT).last().unwrap().text.clone();
        assert!(help.contains("Press the buttons") && help.contains("70 10 20 30"), "{help}");

        write(&app, &tg, CHAT, "/stop").await;
        assert!(tg.sent_to(CHAT).last().unwrap().text.starts_with("The link is ended."));
        let person = app.get_json(&format!("/api/people/{anna}")).await;
        assert_eq!(person["preferred_channel"], "sms", "{person}");
        // Taken off the seat, she is told by SMS now.
        let r = app.http.post(app.url(&format!("/api/seats/{}/remove", e.seats[0]))).json(&serde_json::json!({})).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        app.settle().await;
        let sms = app.fake.to(ANNA);
        assert_eq!(sms.len(), 2, "{sms:?}");
        write(&app, &tg, CHAT, "/status").await;
        assert!(tg.sent_to(CHAT).last().unwrap().text.contains("ikke forbundet"));
    }

    async fn a_webhook_call_without_the_right_secret_token_is_refused(app: TestApp, tg: FakeTelegram) {
        let (url, secret) = tg.webhook().expect("the webhook is set at start");
        assert_eq!(url, app.url("/webhooks/telegram"));
        assert_eq!(secret, SECRET);
        let update = tg.update(tg.text_from(CHAT, "/hjaelp"));
        let post = |token: Option<&str>| {
            let mut r = app.http.post(app.url("/webhooks/telegram")).json(&update);
            if let Some(t) = token {
                r = r.header(SECRET_HEADER, t);
            }
            r.send()
        };
        assert_eq!(post(None).await.unwrap().status(), 401);
        assert_eq!(post(Some("webhook-secret_43")).await.unwrap().status(), 401);
        app.settle().await;
        assert!(tg.sent_to(CHAT).is_empty(), "nothing was taken");

        assert_eq!(post(Some(SECRET)).await.unwrap().status(), 200);
        app.settle().await;
        assert_eq!(tg.sent_to(CHAT).len(), 1, "the help is sent");
        // Telegram delivering it again changes nothing.
        assert_eq!(post(Some(SECRET)).await.unwrap().status(), 200);
        app.settle().await;
        assert_eq!(tg.sent_to(CHAT).len(), 1);
    }
}

/// An invitation by e-mail carries the deep link too, and linking from it
/// works the same.
async fn an_email_invitation_carries_the_deep_link(backend: Backend) {
    let tg = FakeTelegram::start("123456:test-bot-token")
        .await
        .expect("fake Bot API");
    let smtp = support::smtp::SmtpServer::start();
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    setup.with_email(&smtp);
    setup.config.telegram = Some(TelegramConfig {
        token: tg.token.clone(),
        api_url: Some(tg.api_url()),
        webhook_secret: None,
    });
    let app = setup.start().await;
    let e = election(&app, 1).await;
    let ane = person()
        .name("Ane Ærø")
        .email("ane@example.dk")
        .create(&app)
        .await;
    assign(&app, e.seats[0], ane).await;
    let mail = smtp.to("ane@example.dk")[0].part("text/plain").unwrap();
    assert!(
        mail.contains("Vil du hellere have beskederne i Telegram? Åbn https://t.me/"),
        "{mail}"
    );
    // A link of this service, but one that answers the invitation: no
    // way to link a chat.
    let accept = smtp.to("ane@example.dk")[0].links()[0].clone();
    let accept_token = accept.rsplit('/').next().unwrap();
    write(&app, &tg, OTHER_CHAT, &format!("/start {accept_token}")).await;
    assert!(
        tg.sent_to(OTHER_CHAT)[0]
            .text
            .starts_with("Linket kender vi ikke.")
    );
    assert_eq!(app.seat_status(e.seats[0]).await, "invited");

    let token = deep_link_token(&mail).expect("a deep link");
    write(&app, &tg, CHAT, &format!("/start {token}")).await;
    let chat = tg.sent_to(CHAT);
    assert!(chat[0].text.starts_with("Hej Ane Ærø."), "{:?}", chat[0]);
    press(&app, &tg, &chat[1], "Ja").await;
    assert_eq!(app.seat_status(e.seats[0]).await, "confirmed");

    // Unlinked, she prefers e-mail again, as before.
    write(&app, &tg, CHAT, "/stop").await;
    let person = app.get_json(&format!("/api/people/{ane}")).await;
    assert_eq!(person["preferred_channel"], "email", "{person}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_invitation_carries_the_deep_link_on_sqlite() {
    an_email_invitation_carries_the_deep_link(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_invitation_carries_the_deep_link_on_postgres() {
    an_email_invitation_carries_the_deep_link(Backend::Postgres).await;
}

/// Telegram does not answer when the service starts: SMS goes on, and the
/// bot comes up once Telegram answers.
async fn the_service_starts_while_telegram_is_unreachable_and_the_bot_follows(backend: Backend) {
    // Telegram away behind its gateway, which answers with an error page.
    let tg = FakeTelegram::start("123456:test-bot-token")
        .await
        .expect("fake Bot API");
    tg.set_down(true);
    let Some(mut setup) = Setup::new(backend).await else {
        return;
    };
    setup.config.telegram = Some(TelegramConfig {
        token: tg.token.clone(),
        api_url: Some(tg.api_url()),
        webhook_secret: None,
    });
    let app = setup.start().await;
    let e = election(&app, 1).await;
    let anna = person().name("Anna Jensen").phone(ANNA).create(&app).await;
    assign(&app, e.seats[0], anna).await;
    let sms = app.fake.to(ANNA);
    assert_eq!(sms.len(), 1, "the invitation goes by SMS");
    assert_eq!(
        deep_link_token(&sms[0]),
        None,
        "no deep link while the bot is down"
    );

    tg.set_down(false);
    write(&app, &tg, CHAT, "/hjaelp").await;
    let help = tg.sent_to(CHAT);
    assert_eq!(help.len(), 1, "the bot is on: {help:?}");
    assert!(help[0].text.contains("/status"), "{}", help[0].text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_starts_while_telegram_is_unreachable_and_the_bot_follows_on_sqlite() {
    the_service_starts_while_telegram_is_unreachable_and_the_bot_follows(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_starts_while_telegram_is_unreachable_and_the_bot_follows_on_postgres() {
    the_service_starts_while_telegram_is_unreachable_and_the_bot_follows(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_token_telegram_refuses_stops_the_service_from_starting_with_a_clear_error() {
    let tg = FakeTelegram::start("123456:right")
        .await
        .expect("fake Bot API");
    let mut setup = Setup::new(Backend::Sqlite).await.expect("sqlite");
    setup.config.telegram = Some(TelegramConfig {
        token: "123456:wrong".into(),
        api_url: Some(tg.api_url()),
        webhook_secret: None,
    });
    let Err(e) = valgvagt::app::App::start(setup.config.clone()).await else {
        panic!("the service started with a token Telegram refuses");
    };
    assert!(
        e.to_string()
            .starts_with("Telegram: Telegram refused the bot token"),
        "{e}"
    );
    setup.config.telegram.as_mut().unwrap().webhook_secret = Some("not a secret!".into());
    let Err(e) = valgvagt::app::App::start(setup.config.clone()).await else {
        panic!("the service started with a webhook secret Telegram refuses");
    };
    assert!(e.to_string().contains("TELEGRAM_WEBHOOK_SECRET"), "{e}");
}
