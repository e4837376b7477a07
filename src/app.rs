//! Putting the service together: database, migrations, templates,
//! workflows, engine, job workers, ticker and HTTP server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::domain::LinkKey;
use crate::engine::Engine;
use crate::http::{AppState, router};
use crate::jobs::{WorkerSettings, Workers};
use crate::messages::{Catalog, Contact, Templates};

/// How often a serving process proves it is alive; the others take it for
/// dead after [`crate::engine::DeliveryPolicy::dead_after`].
const HEARTBEAT: Duration = Duration::from_secs(2);
use crate::sms::SmsProvider;
use crate::sms::dev::DevSms;
use crate::sms::gatewayapi::{GatewayApi, GatewayApiConfig};
use crate::sms::twilio::{Twilio, TwilioConfig};
use crate::store::Db;
use valgvagt_bots::telegram::{self as chat, ButtonAnswer, ChatDoor, ChatEvent, TelegramBot};

/// The engine as the chat front door sees it.
struct EngineDoor(Arc<Engine>);

#[async_trait::async_trait]
impl ChatDoor for EngineDoor {
    async fn receive(&self, event: ChatEvent) -> anyhow::Result<Option<ButtonAnswer>> {
        Ok(self.0.receive_chat(&event).await?)
    }
}

#[derive(Debug, Clone)]
pub enum SmsConfig {
    /// Keep messages in the database; answer on the dev phone page.
    Dev,
    GatewayApi(GatewayApiConfig),
    /// Twilio; its status callbacks go to the public address unless the
    /// config names another.
    Twilio(TwilioConfig),
}

/// The Telegram bot.
#[derive(Clone)]
pub struct TelegramConfig {
    pub token: String,
    /// Instead of `https://api.telegram.org`.
    pub api_url: Option<String>,
    /// Webhook mode, with this secret token; long polling without it.
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("api_url", &self.api_url)
            .field("webhook", &self.webhook_secret.is_some())
            .finish_non_exhaustive()
    }
}

impl TelegramConfig {
    /// The webhook's secret token, when webhook mode is on and the secret
    /// is one Telegram takes.
    fn webhook_secret(&self) -> anyhow::Result<Option<&str>> {
        let Some(secret) = self.webhook_secret.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let fits = (1..=256).contains(&secret.len())
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !fits {
            anyhow::bail!("TELEGRAM_WEBHOOK_SECRET must be 1 to 256 of A-Z a-z 0-9 _ -");
        }
        Ok(Some(secret))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub sms: SmsConfig,
    pub gatewayapi_webhook_secret: Option<String>,
    pub gatewayapi_keyword: Option<String>,
    /// Most SMS a second this process sends to the gateway (the rate the
    /// provider allows the account, shared out over the hosts); `None`
    /// sends as fast as the gateway answers.
    pub sms_rate: Option<f64>,
    /// What one SMS part costs, in øre, for the price shown before a
    /// group message and in a rehearsal's report. Unset: parts only.
    pub sms_part_price_ore: Option<i64>,
    pub templates_dir: PathBuf,
    pub workflows_dir: PathBuf,
    pub contact: Contact,
    pub clock: Clock,
    pub workers: WorkerSettings,
    /// How often the ticker runs; `None` leaves ticking to the caller
    /// (tests and rehearsals tick after moving the clock).
    pub tick_every: Option<Duration>,
    /// SMTP for e-mail; `None` turns e-mail off.
    pub email: Option<crate::mail::EmailConfig>,
    /// The base of links in messages; by default where the service listens.
    pub public_url: Option<String>,
    /// Hexadecimal link key; by default one kept in the database.
    pub link_key: Option<String>,
    /// Hexadecimal key that seals CPR numbers at rest; by default one kept
    /// in a file beside a SQLite database (required with PostgreSQL).
    pub data_key: Option<String>,
    /// The Telegram bot; `None` turns it off.
    pub telegram: Option<TelegramConfig>,
    /// Reverse proxies in front of the service, whose `X-Forwarded-For`
    /// is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The municipality's code in the CPR register, for the residence
    /// rule.
    pub municipality_code: Option<crate::domain::MunicipalityCode>,
    /// Serve the dev SMS provider's phone page (every person's name and
    /// number, answering as anyone) on an address other than loopback.
    pub dev_sms_on_network: bool,
}

impl Config {
    /// The defaults for a checkout of the repository.
    pub fn local(database_url: &str) -> Config {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Config {
            database_url: database_url.to_string(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            sms: SmsConfig::Dev,
            gatewayapi_webhook_secret: None,
            gatewayapi_keyword: None,
            sms_rate: None,
            sms_part_price_ore: None,
            templates_dir: root.join("templates"),
            workflows_dir: root.join("workflows"),
            contact: Contact {
                municipality: "Valgsekretariatet".into(),
                contact: "valg@kommune.dk".into(),
                phone: String::new(),
                email: String::new(),
            },
            clock: Clock::System,
            workers: WorkerSettings::default(),
            tick_every: Some(Duration::from_secs(1)),
            email: None,
            public_url: None,
            link_key: None,
            data_key: None,
            telegram: None,
            trusted_proxies: Vec::new(),
            municipality_code: None,
            dev_sms_on_network: false,
        }
    }
}

/// Opens the database and brings its schema (ours and the job queue's) up
/// to date.
pub async fn open_database(
    url: &str,
    workers: &WorkerSettings,
    data_key: Option<&str>,
) -> anyhow::Result<Db> {
    let db = Db::connect(url, workers.pool_size(), data_key).await?;
    db.migrate().await?;
    crate::jobs::setup(&db).await?;
    Ok(db)
}

/// Builds the engine on an open database and publishes the workflow
/// definitions that changed.
pub async fn engine(config: &Config, db: Db) -> anyhow::Result<Arc<Engine>> {
    let catalog = Templates::new(
        config.templates_dir.clone(),
        Catalog::load(&config.templates_dir)?,
    );
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    let sms: Arc<dyn SmsProvider> = match &config.sms {
        SmsConfig::Dev => Arc::new(DevSms::new(db.clone(), config.clock.clone())),
        SmsConfig::GatewayApi(c) => Arc::new(GatewayApi::new(c.clone())?),
        SmsConfig::Twilio(c) => {
            if config.public_url.is_none() {
                tracing::warn!(
                    bind = %config.bind,
                    "Twilio's status callbacks go to the address the service listens on; set VALGVAGT_PUBLIC_URL to the address Twilio reaches"
                );
            }
            let mut c = c.clone();
            c.status_callback.get_or_insert_with(|| {
                format!("{}/webhooks/twilio/status", base_url.trim_end_matches('/'))
            });
            Arc::new(Twilio::new(c)?)
        }
    };
    let mut engine = Engine::new(
        db.clone(),
        config.clock.clone(),
        catalog,
        config.contact.clone(),
        sms,
    );
    engine.municipality_code = config.municipality_code.clone();
    if !matches!(config.sms, SmsConfig::Dev) {
        engine.pacer = config.sms_rate.and_then(crate::sms::pacing::Pacer::new);
    }
    if engine.municipality_code.is_none() {
        tracing::info!(
            "no municipality code (VALGVAGT_MUNICIPALITY_CODE): the residence rule is not checked"
        );
    }
    match &config.email {
        Some(email) => engine.email = Some(crate::mail::Smtp::new(email)?),
        None => tracing::info!("e-mail is off: no SMTP server is configured"),
    }
    engine.links.key = match &config.link_key {
        Some(hex) => LinkKey::parse(hex).map_err(|e| anyhow::anyhow!("VALGVAGT_LINK_KEY: {e}"))?,
        None => {
            let mut tx = db.begin().await?;
            let hex = tx.secret("link_key", || LinkKey::random().to_hex()).await?;
            tx.commit().await?;
            LinkKey::parse(&hex).map_err(|e| anyhow::anyhow!("the stored link key: {e}"))?
        }
    };
    if config.link_key.is_none() {
        tracing::warn!(
            "links (the cancel link in an SMS, e-mail links, Telegram deep links) are signed with a key kept in the database; set VALGVAGT_LINK_KEY to keep it outside"
        );
    }
    if config.email.is_some() && config.public_url.is_none() {
        tracing::warn!(
            bind = %config.bind,
            "links in e-mails point at the address the service listens on; set VALGVAGT_PUBLIC_URL to the address people reach"
        );
    }
    engine.links.base_url = base_url;
    match &config.telegram {
        // Connected when the service starts (`App::start`).
        Some(t) => {
            t.webhook_secret()?;
        }
        None => tracing::info!("the Telegram bot is off: no bot token is configured"),
    }
    engine.catalog.refresh(&db).await?;
    let engine = Arc::new(engine);
    for p in engine.publish_dir(&config.workflows_dir).await? {
        tracing::info!(workflow = %p.name, revision = p.revision, "workflow published");
    }
    Ok(engine)
}

/// A webhook secret that is set and not blank.
fn secret(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

/// Why the bot did not come up.
enum BringUp {
    /// A wrong token, a bad address: starting again will not help.
    Refused(String),
    /// Telegram did not answer: try again later.
    Unreachable(String),
}

/// Connects the bot and tells Telegram how updates are to arrive: by the
/// webhook `(address, secret)`, or by long polling.
async fn bring_up(
    t: &TelegramConfig,
    webhook: Option<&(String, String)>,
) -> Result<TelegramBot, BringUp> {
    let bot = TelegramBot::connect(&t.token, t.api_url.as_deref())
        .await
        .map_err(|e| match e {
            chat::ConnectError::Unreachable(_) => BringUp::Unreachable(e.to_string()),
            _ => BringUp::Refused(e.to_string()),
        })?;
    let mode = match webhook {
        Some((url, secret)) => bot.use_webhook(url, secret).await,
        None => bot.use_polling().await,
    };
    mode.map_err(|e| match chat::is_transient(&e) {
        true => BringUp::Unreachable(chat::describe(&e)),
        false => BringUp::Refused(format!("the webhook or polling: {}", chat::describe(&e))),
    })?;
    Ok(bot)
}

/// The bot's task: brings it up if the start could not (trying again
/// with a growing pause), then polls for updates unless they come by
/// webhook. Ends when `stop` turns true.
async fn run_bot(
    t: TelegramConfig,
    cell: chat::BotCell,
    door: Arc<dyn ChatDoor>,
    webhook: Option<(String, String)>,
    up: bool,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut pause = Duration::from_secs(1);
    while !up && cell.get().is_none() {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let attempt = tokio::select! {
            r = bring_up(&t, webhook.as_ref()) => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        match attempt {
            Ok(bot) => {
                tracing::info!(bot = bot.username(), "the Telegram bot is on");
                let _ = cell.set(bot);
            }
            Err(BringUp::Refused(e) | BringUp::Unreachable(e)) => {
                pause = (pause * 2).min(Duration::from_secs(300));
                tracing::warn!(error = %e, retry_in_s = pause.as_secs(), "the Telegram bot is still not on");
            }
        }
    }
    if webhook.is_none()
        && let Some(bot) = cell.get()
    {
        chat::poll(bot.clone(), door, stop).await;
    }
}

/// A running service.
pub struct App {
    pub engine: Arc<Engine>,
    pub addr: SocketAddr,
    workers: Workers,
    server: tokio::task::JoinHandle<()>,
    ticker: Option<tokio::task::JoinHandle<()>>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
    poller: Option<tokio::task::JoinHandle<()>>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// Runs `work` every `every` (never two at once) until the service stops.
fn repeat<F, W>(
    every: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    work: W,
) -> tokio::task::JoinHandle<()>
where
    W: Fn() -> F + Send + 'static,
    F: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
            work().await;
        }
    })
}

impl App {
    pub async fn start(mut config: Config) -> anyhow::Result<App> {
        // The dev provider's phone page lists every person and answers as
        // any number, without a login: for a developer's own machine.
        if matches!(config.sms, SmsConfig::Dev)
            && !config.bind.ip().is_loopback()
            && !config.dev_sms_on_network
        {
            anyhow::bail!(
                "the dev SMS provider shows every person's name and phone without a login, so it is served only on a loopback address ({} is not); choose --sms gatewayapi or twilio, bind 127.0.0.1, or set VALGVAGT_DEV_SMS_ON_NETWORK=1 for a test network",
                config.bind
            );
        }
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        config.bind = addr;
        let db = open_database(
            &config.database_url,
            &config.workers,
            config.data_key.as_deref(),
        )
        .await?;
        let engine = engine(&config, db).await?;
        // The bot before the workers: a token Telegram refuses stops the
        // start before anything runs, and a linked person's messages do
        // not go by SMS while it connects.
        let telegram = match config.telegram.clone() {
            Some(t) => {
                let webhook = t.webhook_secret()?.map(|secret| {
                    let base = engine.links.base_url.trim_end_matches('/');
                    (format!("{base}/webhooks/telegram"), secret.to_string())
                });
                let up = match bring_up(&t, webhook.as_ref()).await {
                    Ok(bot) => {
                        tracing::info!(bot = bot.username(), "the Telegram bot is on");
                        let _ = engine.telegram.set(bot);
                        true
                    }
                    Err(BringUp::Refused(e)) => anyhow::bail!("Telegram: {e}"),
                    Err(BringUp::Unreachable(e)) => {
                        tracing::warn!(error = %e, "Telegram cannot be reached; SMS and e-mail go on, and the bot starts once Telegram answers");
                        false
                    }
                };
                Some((t, webhook, up))
            }
            None => None,
        };
        // Registered before any job runs; the claims of a former start on
        // this host, dead now, are released at once.
        engine.release_dead_claims().await?;
        let workers = Workers::start(engine.clone(), config.workers.clone());
        let state = AppState {
            engine: engine.clone(),
            // An empty secret signs nothing: anyone can make that HMAC.
            gatewayapi_secret: secret(config.gatewayapi_webhook_secret.as_deref()),
            gatewayapi_keyword: config.gatewayapi_keyword.clone(),
            twilio_auth_token: match &config.sms {
                SmsConfig::Twilio(c) => secret(Some(&c.auth_token)),
                _ => None,
            },
            dev_phone: matches!(config.sms, SmsConfig::Dev),
            pages: Arc::new(crate::http::admin::pages::Pages::load()?),
            secure_cookies: engine.links.base_url.starts_with("https://"),
            trusted_proxies: config.trusted_proxies.clone(),
            sms_part_price_ore: config.sms_part_price_ore,
        };
        let (shutdown, stopped) = tokio::sync::watch::channel(false);
        let mut routes = router(state);
        let mut poller = None;
        if let Some((t, webhook, up)) = telegram {
            let door: Arc<dyn ChatDoor> = Arc::new(EngineDoor(engine.clone()));
            if let Some((_, secret)) = &webhook {
                routes = routes.merge(chat::webhook_router(
                    engine.telegram.clone(),
                    door.clone(),
                    secret,
                ));
            }
            poller = Some(tokio::spawn(run_bot(
                t,
                engine.telegram.clone(),
                door,
                webhook,
                up,
                stopped.clone(),
            )));
        }
        let mut server_stop = stopped.clone();
        let server = tokio::spawn(async move {
            let service = routes.into_make_service_with_connect_info::<SocketAddr>();
            let serve = axum::serve(listener, service).with_graceful_shutdown(async move {
                let _ = server_stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "http server stopped");
            }
        });
        // The heartbeat runs beside the ticker: a tick busy with a large
        // schedule must not make the other processes take this one for
        // dead.
        let heartbeat = config.tick_every.map(|_| {
            let engine = engine.clone();
            repeat(HEARTBEAT, stopped.clone(), move || {
                let engine = engine.clone();
                async move {
                    if let Err(e) = engine.beat().await {
                        tracing::warn!(error = %e, "heartbeat failed");
                    }
                }
            })
        });
        let ticker = config.tick_every.map(|every| {
            let engine = engine.clone();
            repeat(every, stopped, move || {
                let engine = engine.clone();
                async move {
                    if let Err(e) = crate::jobs::ticker::tick(&engine).await {
                        tracing::warn!(error = %e, "tick failed");
                    }
                }
            })
        });
        Ok(App {
            engine,
            addr,
            workers,
            server,
            ticker,
            heartbeat,
            poller,
            shutdown,
        })
    }

    /// Stops serving, lets running jobs finish, and closes the database.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        if let Some(t) = self.ticker {
            let _ = t.await;
        }
        if let Some(h) = self.heartbeat {
            let _ = h.await;
        }
        if let Some(p) = self.poller {
            let _ = p.await;
        }
        self.workers.stop().await;
        if let Err(e) = self.engine.leave().await {
            tracing::warn!(error = %e, "this process could not be taken off the register");
        }
        self.engine.db.close().await;
    }
}
