//! Spawns the real service on a random port with a fresh database, a fake
//! GatewayAPI and a clock the test moves.

#![allow(dead_code)]

pub mod admin;
pub mod builders;
pub mod pages;
pub mod proxy;
pub mod smtp;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use valgvagt::app::{App, Config, SmsConfig};
use valgvagt::clock::Clock;
use valgvagt::sms::fake_gatewayapi::FakeGatewayApi;
use valgvagt::sms::gatewayapi::{self, GatewayApiConfig, IncomingSms};

pub const WEBHOOK_SECRET: &str = "test-webhook-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident : TestApp) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($app: TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
                    body(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
                    body(app).await;
                }
            }
        )*
    };
}

/// Runs a test body on SQLite and on PostgreSQL with e-mail going to a
/// fresh SMTP server.
#[macro_export]
macro_rules! with_email_on_both_backends {
    ($(async fn $name:ident($app:ident : TestApp, $smtp:ident : SmtpServer) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($app: TestApp, $smtp: SmtpServer) $body

                async fn spawn(backend: Backend) -> Option<(TestApp, SmtpServer)> {
                    let smtp = $crate::support::smtp::SmtpServer::start();
                    let mut setup = Setup::new(backend).await?;
                    setup.with_email(&smtp);
                    Some((setup.start().await, smtp))
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    let (app, smtp) = spawn(Backend::Sqlite).await.expect("sqlite app");
                    body(app, smtp).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    let Some((app, smtp)) = spawn(Backend::Postgres).await else { return };
                    body(app, smtp).await;
                }
            }
        )*
    };
}

pub struct TestApp {
    pub app: Option<App>,
    pub fake: FakeGatewayApi,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub config: Config,
    next_mo_id: std::sync::atomic::AtomicU64,
    _dir: Option<tempfile::TempDir>,
    _workflows: Option<tempfile::TempDir>,
}

/// The data key of test apps on PostgreSQL.
pub const TEST_DATA_KEY: &str = "5eb63bbbe01eeed093cb22bb8f5acdc35eb63bbbe01eeed093cb22bb8f5acdc3";

/// The URL of the PostgreSQL server to test against, or a loud notice and
/// `None`. With `VALGVAGT_REQUIRE_POSTGRES=1` (CI) a missing URL fails.
pub fn postgres_url() -> Option<String> {
    match std::env::var("VALGVAGT_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("VALGVAGT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("VALGVAGT_REQUIRE_POSTGRES=1 but VALGVAGT_TEST_POSTGRES_URL is not set");
            }
            eprintln!(
                "\n*** SKIPPED on PostgreSQL: set VALGVAGT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it ***\n"
            );
            None
        }
    }
}

/// A fresh database on the PostgreSQL server, named for this test.
async fn fresh_postgres_database(server_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("valgvagt_test_{}", &valgvagt::engine::new_key()[..16]);
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("a database URL has a path");
    format!("{base}/{name}")
}

/// Everything a test app is made of, before it starts.
pub struct Setup {
    pub config: Config,
    pub fake: FakeGatewayApi,
    pub clock: Clock,
    pub dir: Option<tempfile::TempDir>,
    /// The workflows the secretariat edited, when they did.
    pub workflows: Option<tempfile::TempDir>,
}

impl Setup {
    pub async fn new(backend: Backend) -> Option<Setup> {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "warn".into()),
            )
            .with_test_writer()
            .try_init();
        let (database_url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (
                    format!("sqlite://{}", dir.path().join("test.db").display()),
                    Some(dir),
                )
            }
            Backend::Postgres => (fresh_postgres_database(&postgres_url()?).await, None),
        };
        let fake = FakeGatewayApi::start("test-token")
            .await
            .expect("fake gateway");
        let clock = Clock::manual(Utc.with_ymd_and_hms(2029, 10, 1, 9, 0, 0).unwrap());
        let mut config = Config::local(&database_url);
        if backend == Backend::Postgres {
            // PostgreSQL keeps no key file: the key comes from outside.
            config.data_key = Some(TEST_DATA_KEY.into());
        }
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        config.clock = clock.clone();
        config.tick_every = None;
        config.sms = SmsConfig::GatewayApi(GatewayApiConfig {
            base_url: fake.base_url(),
            token: fake.token.clone(),
            sender: "Valg".into(),
            timeout: valgvagt::sms::gatewayapi::DEFAULT_TIMEOUT,
        });
        config.gatewayapi_webhook_secret = Some(WEBHOOK_SECRET.into());
        config.gatewayapi_keyword = Some("VALG".into());
        config.workers.poll_interval = Duration::from_millis(20);
        config.contact.municipality = "Testrup Kommune".into();
        config.contact.contact = "70 10 20 30".into();
        Some(Setup {
            config,
            fake,
            clock,
            dir,
            workflows: None,
        })
    }

    /// Sends e-mail to `server`.
    pub fn with_email(&mut self, server: &smtp::SmtpServer) {
        self.config.email = Some(valgvagt::mail::EmailConfig {
            smtp_url: server.url(),
            from: "Testrup Valg <valg@testrup.dk>".into(),
            ca_file: server.ca_file(),
        });
    }

    /// Publishes the shipped workflows as the secretariat edited them:
    /// `edit` gets each file's name and text, and `add` names files under
    /// `workflows/` to publish as well (e.g. an example).
    pub fn edit_workflows(&mut self, edit: impl Fn(&str, String) -> String, add: &[&str]) {
        let dir = tempfile::tempdir().expect("temp dir");
        let shipped = self.config.workflows_dir.clone();
        let files = std::fs::read_dir(&shipped)
            .expect("workflows")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .chain(add.iter().map(|a| shipped.join(a)));
        for path in files {
            let name = path
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("read workflow");
            std::fs::write(dir.path().join(&name), edit(&name, text)).expect("write workflow");
        }
        self.config.workflows_dir = dir.path().to_path_buf();
        self.workflows = Some(dir);
    }

    /// The engine alone: no HTTP, no job workers. Jobs it queues wait.
    pub async fn engine_of(config: &Config) -> std::sync::Arc<valgvagt::engine::Engine> {
        let db = valgvagt::app::open_database(
            &config.database_url,
            &config.workers,
            config.data_key.as_deref(),
        )
        .await
        .expect("database");
        valgvagt::app::engine(config, db).await.expect("engine")
    }

    pub async fn start(self) -> TestApp {
        let app = App::start(self.config.clone()).await.expect("app starts");
        let http = api_client(&app).await;
        TestApp {
            app: Some(app),
            config: self.config,
            fake: self.fake,
            clock: self.clock,
            http,
            next_mo_id: std::sync::atomic::AtomicU64::new(5_000_000),
            _dir: self.dir,
            _workflows: self.workflows,
        }
    }
}

/// The secretariat's login the test app is made with, and its password.
pub const SECRETARIAT: (&str, &str) = ("sekretariat@testrup.dk", "korrekt hest batteri");

/// A client that calls the JSON API as the secretariat, with an API token.
async fn api_client(app: &App) -> reqwest::Client {
    let db = &app.engine.db;
    let clock = &app.engine.clock;
    let exists = {
        let mut tx = db.read().await.expect("read");
        tx.count_users().await.expect("count users") > 0
    };
    if !exists {
        valgvagt::users::create_user(
            db,
            clock,
            &valgvagt::users::UserSpec {
                login: SECRETARIAT.0,
                name: "Valgsekretariatet",
                password: SECRETARIAT.1,
                role: "secretariat",
                team: None,
                station: None,
                language: "da",
            },
        )
        .await
        .expect("secretariat user");
    }
    let token = valgvagt::users::create_api_token(db, clock, SECRETARIAT.0)
        .await
        .expect("api token");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Some(Setup::new(backend).await?.start().await)
    }

    /// Stops the service and starts it again on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        let app = App::start(self.config.clone()).await.expect("app restarts");
        self.http = api_client(&app).await;
        self.app = Some(app);
    }

    pub fn app(&self) -> &App {
        self.app.as_ref().expect("app is running")
    }

    pub fn engine(&self) -> &valgvagt::engine::Engine {
        &self.app().engine
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.app().addr)
    }

    /// Waits until every queued job has run. Jobs run on real workers; this
    /// only waits for them, it does not move the clock.
    pub async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = valgvagt::jobs::unfinished(&self.engine().db)
                .await
                .expect("count jobs");
            if left == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{left} jobs still unfinished after 20 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Moves the clock, lets the ticker queue what came due, and waits for
    /// the jobs.
    pub async fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
        self.tick().await;
    }

    /// Moves the clock to `at` (UTC) in one step, as if the service had
    /// not ticked in between (it was down), and ticks once.
    pub async fn jump_to(&self, at: &str) {
        let at: chrono::DateTime<Utc> = at.parse().expect("an RFC 3339 time");
        let by = at - self.clock.now();
        assert!(
            by >= chrono::Duration::zero(),
            "the clock only moves forward"
        );
        self.advance(by).await;
    }

    pub async fn tick(&self) {
        valgvagt::jobs::ticker::tick(self.engine())
            .await
            .expect("tick");
        self.settle().await;
    }

    /// The gateway posts an incoming SMS with this provider id, signed.
    pub async fn post_incoming(&self, id: u64, from: &str, text: &str) -> reqwest::Response {
        let sms = IncomingSms {
            id,
            msisdn: from.trim_start_matches('+').parse().expect("msisdn"),
            receiver: Some(4512341234),
            message: text.to_string(),
            senttime: Some(1_900_000_000.into()),
            webhook_label: Some("valgvagt".into()),
        };
        let token = gatewayapi::sign_incoming(WEBHOOK_SECRET, &sms);
        self.http
            .post(self.url("/webhooks/gatewayapi/incoming"))
            .header("X-Gwapi-Signature", token)
            .json(&sms)
            .send()
            .await
            .expect("webhook call")
    }

    /// A person texts us, and the reply is handled.
    pub async fn sms_from(&self, from: &str, text: &str) {
        let id = self
            .next_mo_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let response = self.post_incoming(id, from, text).await;
        assert_eq!(
            response.status(),
            200,
            "webhook answered {}",
            response.status()
        );
        self.settle().await;
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("json")
    }

    pub async fn seat_status(&self, seat_id: i64) -> String {
        let v = self.get_json(&format!("/api/seats/{seat_id}")).await;
        v["seat"]["status"].as_str().expect("status").to_string()
    }

    pub async fn history(&self, seat_id: i64) -> Vec<String> {
        let v = self.get_json(&format!("/api/seats/{seat_id}")).await;
        v["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|h| h["event"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Stops the service the way a shutdown does.
    pub async fn stop(&mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }
}
