//! The admin in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the real service. It logs in, puts a person on
//! a seat, and watches the staffing board change by itself when the SMS
//! answer arrives, and sets up an election from nothing. Screenshots go to
//! `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). Without them the test says so loudly and skips, unless
//! `VALGVAGT_REQUIRE_BROWSER=1`, where it fails.

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use support::builders::{code_in, import, person};
use support::{Backend, SECRETARIAT, TestApp};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free port, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn driver() -> Option<Driver> {
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        if std::env::var("VALGVAGT_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("VALGVAGT_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing");
        }
        eprintln!(
            "\n*** SKIPPED browser test: install Debian's chromium and chromium-driver to run it ***\n"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    Some(Driver {
        child,
        port,
        _profile: tempfile::tempdir().expect("profile dir"),
    })
}

async fn browser(driver: &Driver) -> Client {
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--window-size=1280,900", "--lang=da",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }
    });
    let caps = caps.as_object().expect("an object").clone();
    // Two rustls providers are built in (ring, and aws-lc-rs by way of
    // the WebDriver client): say which.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("http://127.0.0.1:{}", driver.port);
    // chromedriver takes a moment to listen; try until it answers.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return c,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot reach chromedriver: {e}"),
        }
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn save_screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!("screenshot: {}", path.display());
}

/// Opens `path`, is sent to the login page, and logs in as the
/// secretariat, typing as a person does.
async fn log_in(c: &Client, app: &TestApp, path: &str) {
    c.goto(&app.url(path)).await.expect("open the page");
    let typed = [
        ("input[name=login]", SECRETARIAT.0),
        ("input[name=password]", SECRETARIAT.1),
    ];
    for (css, text) in typed {
        let field = c.find(Locator::Css(css)).await.expect("a login field");
        field.send_keys(text).await.expect("type");
    }
    let button = c
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("button");
    button.click().await.expect("log in");
}

/// Waits until the element with `id` reads `text` (the board fetches its
/// numbers again every two seconds).
async fn wait_for_text(c: &Client, id: &str, text: &str) {
    let xpath = format!("//*[@id='{id}' and normalize-space(text())='{text}']");
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("#{id} never read {text}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_assigns_a_seat_and_watches_the_board_change_when_the_sms_answer_arrives() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let e = import(
        &app,
        r#"
election: { title: Folketingsvalg 2029, type: Folketingsvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }
areas:
  - name: Midtbyen
    stations:
      - { name: Rådhushallen, address: Rådhuspladsen 1 }
      - { name: Skolen, address: Skolevej 2 }
  - name: Nordbyen
    stations:
      - { name: Hallen, address: Hallvej 3 }
teams: [Venstre, Socialdemokratiet]
task_types:
  - { name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }
  - { name: Tilforordnet, start: "08:00", end: "20:00", payment: 500 }
seats:
  - { station: Rådhushallen, task_type: Valgstyrer, team: Venstre, count: 3 }
  - { station: Rådhushallen, task_type: Tilforordnet, team: Socialdemokratiet, count: 4 }
  - { station: Skolen, task_type: Valgstyrer, team: Socialdemokratiet, count: 2 }
  - { station: Hallen, task_type: Tilforordnet, team: Venstre, count: 5 }
"#,
    )
    .await;
    let anna = person().create(&app).await;
    let c = browser(&driver).await;

    // Logging in lands on the board.
    log_in(&c, &app, "/admin/board").await;
    wait_for_text(&c, "total-vacant", "14").await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/admin/board")
    );

    // To the seat, by the station's list, and assign Anna.
    c.find(Locator::LinkText("Rådhushallen"))
        .await
        .expect("station link")
        .click()
        .await
        .expect("open station");
    let seat = e.seats[0];
    c.find(Locator::Css(&format!("tr[data-seat='{seat}'] a")))
        .await
        .expect("seat link")
        .click()
        .await
        .expect("open seat");
    c.find(Locator::Css("#assign-person"))
        .await
        .expect("the person list")
        .select_by_value(&anna.to_string())
        .await
        .expect("choose Anna");
    c.find(Locator::Css("#assign-submit"))
        .await
        .expect("assign button")
        .click()
        .await
        .expect("assign");
    app.settle().await;
    wait_for_text(&c, "seat-status", "inviteret").await;

    c.goto(&app.url("/admin/board"))
        .await
        .expect("back to the board");
    wait_for_text(&c, "total-invited", "1").await;
    wait_for_text(&c, "total-confirmed", "0").await;

    // Anna answers by SMS; the open board shows it without a reload.
    let code = code_in(&app.fake.to("+4520000001")[0]);
    app.sms_from("+4520000001", &format!("JA {code}")).await;
    wait_for_text(&c, "total-confirmed", "1").await;
    wait_for_text(&c, "total-invited", "0").await;
    save_screenshot(&c, "board.png").await;

    c.close().await.expect("close the browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_edits_a_workflow_sees_the_mistake_at_its_line_and_publishes_the_fix() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let c = browser(&driver).await;
    log_in(&c, &app, "/admin/workflows/invite").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("no-problems"))
        .await
        .expect("the published workflow has no problems");

    // Put the caret after `max: 2` and type a letter, as a person would.
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/invite.yaml"
    ))
    .unwrap();
    let line = source.lines().position(|l| l.contains("max: 2")).unwrap() + 1;
    let end = source.find("max: 2").unwrap() + "max: 2".len();
    // The browser counts in UTF-16 units.
    let caret = source[..end].encode_utf16().count();
    c.execute(
        "const t = document.getElementById('source'); t.focus(); t.setSelectionRange(arguments[0], arguments[0]);",
        vec![serde_json::json!(caret)],
    )
    .await
    .expect("place the caret");
    let textarea = c.find(Locator::Id("source")).await.expect("the text");
    textarea.send_keys("x").await.expect("type a mistake");
    let at_line = format!("li.diag.error[data-line='{line}']");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&at_line))
        .await
        .unwrap_or_else(|e| panic!("no error shown at line {line}: {e}"));
    c.find(Locator::Css(&format!(
        "#gutter span.error[data-line='{line}']"
    )))
    .await
    .expect("the gutter marks the line");
    save_screenshot(&c, "workflow-editor-mistake.png").await;

    // Fix it: two backspaces and a 3 make it three reminders.
    textarea
        .send_keys("\u{E003}\u{E003}3")
        .await
        .expect("fix it");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("no-problems"))
        .await
        .expect("the problem goes away");
    c.find(Locator::Id("save-draft"))
        .await
        .expect("save")
        .click()
        .await
        .expect("save the draft");
    c.find(Locator::Id("review-link"))
        .await
        .expect("review link")
        .click()
        .await
        .expect("review");
    c.find(Locator::Css("#diff tr.added"))
        .await
        .expect("the diff shows the change");
    c.find(Locator::Id("publish"))
        .await
        .expect("publish button")
        .click()
        .await
        .expect("publish");
    let note = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("published-note"))
        .await
        .expect("published");
    assert!(note.text().await.expect("text").contains('2'), "revision 2");
    c.find(Locator::Css("#diagram svg g.state[data-state='asking']"))
        .await
        .expect("the diagram");
    c.execute(
        "document.getElementById('diagram').scrollIntoView();",
        vec![],
    )
    .await
    .expect("scroll");
    save_screenshot(&c, "workflow-diagram.png").await;
    c.close().await.expect("close the browser");

    let mut tx = app.engine().db.read().await.expect("read");
    let latest = tx
        .latest_revision("invite")
        .await
        .expect("revision")
        .expect("invite");
    assert_eq!(latest.revision, 2);
    assert!(latest.source.contains("max: 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_imports_a_csv_sees_the_bad_row_and_imports_the_rest() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("personer.csv");
    std::fs::write(
        &file,
        "Navn;CPR;Telefon\r\nAnna Jensen;120385-1234;20 00 00 01\r\nBo Nielsen;311385-2345;20 00 00 02\r\nCarla Hansen;250999-4321;20 00 00 03\r\n",
    )
    .expect("write the file");
    let c = browser(&driver).await;
    log_in(&c, &app, "/admin/people/import").await;
    c.find(Locator::Id("import-file"))
        .await
        .expect("file field")
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    c.find(Locator::Id("import-preview-button"))
        .await
        .expect("check button")
        .click()
        .await
        .expect("check");
    let bad = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(
            "#import-errors tr[data-line='3'][data-column='cpr']",
        ))
        .await
        .expect("the bad row is named by its line");
    assert!(bad.text().await.expect("text").contains("real date"));
    save_screenshot(&c, "people-import-errors.png").await;

    c.find(Locator::Id("skip-bad"))
        .await
        .expect("the choice")
        .click()
        .await
        .expect("tick");
    c.find(Locator::Id("import-submit"))
        .await
        .expect("import button")
        .click()
        .await
        .expect("import");
    let note = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("imported-note"))
        .await
        .expect("imported");
    assert!(note.text().await.expect("text").starts_with("2 "));
    c.close().await.expect("close the browser");
}

/// Types `text` into the field `css` (emptied first).
async fn fill(c: &Client, css: &str, text: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// Waits for the page that has `css`.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_sets_up_an_election_in_the_browser_and_changes_a_station_in_place() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let c = browser(&driver).await;
    log_in(&c, &app, "/admin/setup").await;
    wait_for(&c, "#new-election").await;
    fill(&c, "#new-election input[name=title]", "Kommunalvalg 2029").await;
    fill(
        &c,
        "#new-election input[name=election_type]",
        "Kommunalvalg",
    )
    .await;
    // A date field is typed as the browser's locale writes dates; set it.
    c.execute(
        "document.querySelector('#new-election input[name=election_day]').value = '2029-11-20'",
        vec![],
    )
    .await
    .expect("set the day");
    click(&c, "#new-election button[type=submit]").await;
    wait_for(&c, "#add-standby").await;

    c.goto(&app.url("/admin/setup/places"))
        .await
        .expect("places");
    fill(&c, "#add-area input[name=name]", "Midtbyen").await;
    click(&c, "#add-area button").await;
    wait_for(&c, "tr[data-area]").await;
    fill(&c, "input[form=add-station][name=name]", "Rådhushallen").await;
    fill(
        &c,
        "input[form=add-station][name=address]",
        "Rådhuspladsen 1",
    )
    .await;
    click(&c, "button[form=add-station]").await;
    wait_for(&c, "tr[data-station]").await;
    fill(&c, "#add-team input[name=name]", "Venstre").await;
    click(&c, "#add-team button").await;
    wait_for(&c, "tr[data-team]").await;
    fill(&c, "input[form=add-task-type][name=name]", "Tilforordnet").await;
    fill(&c, "input[form=add-task-type][name=start]", "08:00").await;
    fill(&c, "input[form=add-task-type][name=end]", "20:00").await;
    fill(&c, "input[form=add-task-type][name=payment]", "450").await;
    click(&c, "button[form=add-task-type]").await;
    wait_for(&c, "tr[data-task-type]").await;

    // The station's address changed in its row.
    let row = wait_for(&c, "tr[data-station]").await;
    let id = row.attr("data-station").await.expect("attr").expect("id");
    fill(
        &c,
        &format!("input[form=station-{id}][name=address]"),
        "Torvet 2",
    )
    .await;
    click(&c, &format!("button[form=station-{id}]")).await;
    wait_for(
        &c,
        &format!("input[form=station-{id}][name=address][value='Torvet 2']"),
    )
    .await;
    save_screenshot(&c, "setup-places.png").await;

    c.goto(&app.url("/admin/setup/seats")).await.expect("seats");
    fill(&c, "#add-seats input[name=count]", "2").await;
    click(&c, "#add-seats button[value=add]").await;
    let seats = wait_for(&c, "#seat-plan td.seats").await;
    assert_eq!(seats.text().await.expect("text"), "2");
    save_screenshot(&c, "setup-seats.png").await;
    let mut tx = app.engine().db.read().await.expect("read");
    let stations = tx.stations().await.expect("stations");
    assert_eq!(stations[0].address, "Torvet 2");
    drop(tx);
    c.close().await.expect("close the browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_editor_previews_the_sms_and_its_parts_as_it_is_typed() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let c = browser(&driver).await;
    log_in(&c, &app, "/admin/templates/invitation/sms/da").await;
    wait_for(&c, "#template-body").await;
    // ChromeDriver types characters of the Basic Multilingual Plane only.
    fill(&c, "#template-body", "Hej {{ name }} på {{ station }} ✓").await;
    let preview = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@id='template-preview' and normalize-space(text())='Hej Anna Jensen på Rådhushallen ✓']",
        ))
        .await
        .expect("the preview follows the typing");
    assert!(preview.is_displayed().await.expect("shown"));
    let encoding = wait_for(&c, "#encoding").await;
    assert_eq!(
        encoding.text().await.expect("text"),
        "UCS2",
        "a tick needs UCS-2"
    );
    save_screenshot(&c, "template-editor.png").await;
    c.close().await.expect("close the browser");
}
