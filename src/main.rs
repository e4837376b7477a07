//! The `valgvagt` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use valgvagt::app::{self, App, Config, SmsConfig, TelegramConfig};
use valgvagt::engine::publish;
use valgvagt::messages::Catalog;
use valgvagt::sms::gatewayapi::GatewayApiConfig;
use valgvagt::sms::twilio::{TwilioConfig, TwilioSender};

#[derive(Parser)]
#[command(
    name = "valgvagt",
    version,
    about = "Staffs elections: invites poll workers and takes their answers by SMS."
)]
struct Cli {
    /// sqlite://FILE (created if missing) or postgres://…
    #[arg(
        long,
        env = "VALGVAGT_DATABASE_URL",
        default_value = "sqlite://valgvagt.db",
        global = true
    )]
    database_url: String,
    /// Where the message templates are.
    #[arg(
        long,
        env = "VALGVAGT_TEMPLATES",
        default_value = "templates",
        global = true
    )]
    templates: PathBuf,
    /// Where the workflow definitions are.
    #[arg(
        long,
        env = "VALGVAGT_WORKFLOWS",
        default_value = "workflows",
        global = true
    )]
    workflows: PathBuf,
    /// 64 hexadecimal digits that seal CPR numbers in the database
    /// (`valgvagt data-key` makes one). Required with PostgreSQL; with
    /// SQLite, by default a key kept in a file beside the database
    /// (`valgvagt.db.key`). Keep it safe: a lost key loses every CPR number.
    #[arg(long, env = "VALGVAGT_DATA_KEY", hide_env_values = true, global = true)]
    data_key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the service: HTTP API, webhooks, job workers.
    Serve(Box<ServeArgs>),
    /// Brings the database schema up to date and publishes the workflows.
    Migrate,
    /// Checks workflow definition files and prints every problem.
    Workflow {
        #[command(subcommand)]
        command: WorkflowCommand,
    },
    /// Imports an election (stations, teams, task types, people, seats)
    /// from a YAML or JSON file.
    Import { file: PathBuf },
    /// Invites N seats through the real engine into a local fake gateway
    /// and prints the rates.
    Bench(valgvagt::bench::BenchArgs),
    /// Creates users of the web admin and API tokens.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Runs the published workflows over a generated election on the
    /// virtual clock with simulated people, in a database of its own, and
    /// prints a timeline and a summary.
    Rehearse(valgvagt::rehearse::RehearseArgs),
    /// Prints a fresh data key for VALGVAGT_DATA_KEY.
    DataKey,
    /// Purges personal data kept past the retention policy (the service
    /// does so by itself once a day); with --preview, only shows what
    /// would go.
    Retention {
        #[arg(long)]
        preview: bool,
    },
}

#[derive(Subcommand)]
enum WorkflowCommand {
    /// Prints `file:line:col: error[code]: message` for each problem;
    /// exits non-zero when there are errors.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates a user. The password comes from VALGVAGT_PASSWORD, or the
    /// first line of standard input.
    Add {
        /// What the user logs in with (usually their e-mail address).
        login: String,
        #[arg(long)]
        name: String,
        /// secretariat, team (a party secretary), station (read-only for
        /// one polling station) or reader.
        #[arg(long, default_value = "secretariat")]
        role: String,
        /// The team of a team responsible, by name.
        #[arg(long)]
        team: Option<String>,
        /// The polling station of a station responsible, by name.
        #[arg(long)]
        station: Option<String>,
        #[arg(long, default_value = "da")]
        language: String,
    },
    /// Sets a user's password (VALGVAGT_PASSWORD or standard input), logs
    /// them out everywhere and ends their API tokens.
    Password { login: String },
    /// Prints a new API token for the user, for `Authorization: Bearer`.
    Token {
        login: String,
        /// What will use it, shown in the list of tokens.
        #[arg(long, default_value = "API")]
        name: String,
        /// Days it lasts; 0 lasts until it is revoked.
        #[arg(long, default_value_t = valgvagt::users::TOKEN_DAYS)]
        days: i64,
    },
    /// Lists the API tokens: id, user, name, made, expires, last used.
    Tokens,
    /// Revokes one API token by its id (from `valgvagt user tokens`).
    Revoke { id: i64 },
    /// Disables a user: they cannot log in, and their sessions and API
    /// tokens end.
    Disable { login: String },
}

/// The password from VALGVAGT_PASSWORD, or the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("VALGVAGT_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (at least 12 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

#[derive(clap::Args)]
struct ServeArgs {
    #[arg(long, env = "VALGVAGT_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Serve the dev SMS provider's phone page on a non-loopback address
    /// (it shows every person without a login: a test network only).
    #[arg(long, env = "VALGVAGT_DEV_SMS_ON_NETWORK")]
    dev_sms_on_network: bool,
    /// Seed a demo election and invite its first people (only into an
    /// empty database).
    #[arg(long)]
    demo: bool,
    /// `dev` keeps messages in the database; `gatewayapi` or `twilio`
    /// sends them.
    #[arg(long, env = "VALGVAGT_SMS", default_value = "dev")]
    sms: String,
    #[arg(
        long,
        env = "GATEWAYAPI_BASE_URL",
        default_value = "https://gatewayapi.eu"
    )]
    gatewayapi_base_url: String,
    #[arg(long, env = "GATEWAYAPI_TOKEN", hide_env_values = true)]
    gatewayapi_token: Option<String>,
    #[arg(long, env = "GATEWAYAPI_SENDER", default_value = "Valg")]
    gatewayapi_sender: String,
    #[arg(long, env = "GATEWAYAPI_WEBHOOK_SECRET", hide_env_values = true)]
    gatewayapi_webhook_secret: Option<String>,
    /// The keyword leased on a shared short code (incoming messages start
    /// with it).
    #[arg(long, env = "GATEWAYAPI_KEYWORD")]
    gatewayapi_keyword: Option<String>,
    /// Most SMS a second this process sends (GatewayAPI or Twilio): the
    /// rate your account allows, divided by the hosts sharing it. Messages
    /// one event caused (offers, confirmations, answers) go before a
    /// fan-out's. Unset: as fast as the gateway answers.
    #[arg(long, env = "VALGVAGT_SMS_RATE", value_parser = parse_rate)]
    sms_rate: Option<f64>,
    /// What one SMS part costs, in kroner (`0.25`, or `0,25`), as your
    /// gateway's price list says: the group message preview and the
    /// rehearsal's report show the price beside the parts.
    #[arg(long, env = "VALGVAGT_SMS_PART_PRICE", value_parser = valgvagt::messages::price::parse_part_price)]
    sms_part_price: Option<i64>,
    #[arg(
        long,
        env = "TWILIO_BASE_URL",
        default_value = "https://api.twilio.com"
    )]
    twilio_base_url: String,
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    twilio_account_sid: Option<String>,
    /// Authenticates the calls to Twilio and checks the signature on
    /// Twilio's webhook calls.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    /// The number (or alphanumeric sender) messages come from.
    #[arg(long, env = "TWILIO_FROM")]
    twilio_from: Option<String>,
    /// A messaging service (`MG…`) that picks the sender instead.
    #[arg(long, env = "TWILIO_MESSAGING_SERVICE_SID")]
    twilio_messaging_service_sid: Option<String>,
    /// The municipality's name, as messages sign off.
    #[arg(
        long,
        env = "VALGVAGT_MUNICIPALITY",
        default_value = "Valgsekretariatet"
    )]
    municipality: String,
    /// How people reach the secretariat, printed in messages.
    #[arg(long, env = "VALGVAGT_CONTACT", default_value = "valg@kommune.dk")]
    contact: String,
    /// A number people call the secretariat on (`{{ contact_phone }}`:
    /// "Ring til …"). Without it, `--contact` when that is no e-mail
    /// address; messages that would say "call" then say "write to".
    #[arg(long, env = "VALGVAGT_CONTACT_PHONE", default_value = "")]
    contact_phone: String,
    /// An address people write to (`{{ contact_email }}`). Without it,
    /// `--contact` when that is an e-mail address.
    #[arg(long, env = "VALGVAGT_CONTACT_EMAIL", default_value = "")]
    contact_email: String,
    /// The municipality's code in the CPR register (`0461` for Odense):
    /// who lives elsewhere is refused where the election type keeps the
    /// residence rule. Without it that rule is not checked.
    #[arg(long, env = "VALGVAGT_MUNICIPALITY_CODE", value_parser = parse_municipality_code)]
    municipality_code: Option<valgvagt::domain::MunicipalityCode>,
    /// Where e-mail goes out: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465`. Without it, e-mail is off.
    #[arg(long, env = "VALGVAGT_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// A PEM file with the CA the SMTP server's certificate chains to, when
    /// it is not a public one (an internal mail relay).
    #[arg(long, env = "VALGVAGT_SMTP_CA")]
    smtp_ca: Option<PathBuf>,
    /// The sender of e-mails.
    #[arg(
        long,
        env = "VALGVAGT_MAIL_FROM",
        default_value = "Valgsekretariatet <valg@kommune.dk>"
    )]
    mail_from: String,
    /// The service's address as people reach it, for links in messages
    /// (`https://valg.kommune.dk`); by default the address it listens on.
    #[arg(long, env = "VALGVAGT_PUBLIC_URL")]
    public_url: Option<String>,
    /// 64 hexadecimal digits that sign links; by default a key made on
    /// first start and kept in the database.
    #[arg(long, env = "VALGVAGT_LINK_KEY", hide_env_values = true)]
    link_key: Option<String>,
    /// The Telegram bot's token (from @BotFather). Without it the bot is
    /// off and workflows that list `telegram` use their next channel.
    #[arg(long, env = "TELEGRAM_BOT_TOKEN", hide_env_values = true)]
    telegram_token: Option<String>,
    /// The Bot API's address, for a local Bot API server.
    #[arg(long, env = "TELEGRAM_API_URL")]
    telegram_api_url: Option<String>,
    /// Webhook mode: Telegram calls VALGVAGT_PUBLIC_URL/webhooks/telegram
    /// with this secret (1-256 of A-Z a-z 0-9 _ -). Without it the bot
    /// uses long polling, which allows one running service per bot.
    #[arg(long, env = "TELEGRAM_WEBHOOK_SECRET", hide_env_values = true)]
    telegram_webhook_secret: Option<String>,
    /// Addresses of reverse proxies in front of the service (comma
    /// separated); the address they put last in X-Forwarded-For is the
    /// client's, for the limit on failed logins.
    #[arg(long, env = "VALGVAGT_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs what it does; a command run by hand prints its
    // answer and logs only warnings, unless RUST_LOG asks for more.
    let level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                format!("{level},sqlx=warn,apalis=warn,apalis_core=warn").into()
            }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::local(&cli.database_url);
    config.data_key = cli.data_key.clone();
    config.templates_dir = cli.templates.clone();
    config.workflows_dir = cli.workflows.clone();
    match cli.command {
        Command::Workflow {
            command: WorkflowCommand::Check { files },
        } => {
            let catalog = Catalog::load(&cli.templates).ok();
            let (report, compiled) =
                publish::check_files(&files, catalog.as_ref().map(|c| c.names()))?;
            print!("{report}");
            if compiled.is_none() {
                return Ok(ExitCode::FAILURE);
            }
            println!("{} file(s) checked: no errors", files.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Retention { preview } => {
            let db = app::open_database(
                &cli.database_url,
                &config.workers,
                config.data_key.as_deref(),
            )
            .await?;
            let now = config.clock.now();
            let shown = valgvagt::retention::preview(&db, now).await?;
            print!("{}", valgvagt::retention::describe(&shown));
            if !preview {
                let done = valgvagt::retention::purge(&db, now, "cli").await?;
                println!(
                    "purged: {} sent messages, {} received messages, {} audit entries, {} people",
                    done.sent_messages, done.received_messages, done.audit_entries, done.people
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::DataKey => {
            println!("{}", valgvagt::store::sealing::DataKey::random_hex());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = app::open_database(
                &cli.database_url,
                &config.workers,
                config.data_key.as_deref(),
            )
            .await?;
            app::engine(&config, db).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file } => {
            let text = std::fs::read_to_string(&file)?;
            let db = app::open_database(
                &cli.database_url,
                &config.workers,
                config.data_key.as_deref(),
            )
            .await?;
            let parsed = valgvagt::import::parse(&text)?;
            let summary = valgvagt::import::import(&db, &config.clock, &parsed).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Rehearse(args) => {
            valgvagt::rehearse::rehearse(&config, &args).await?.print();
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => {
            valgvagt::bench::run(&config, args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            let db = app::open_database(
                &cli.database_url,
                &config.workers,
                config.data_key.as_deref(),
            )
            .await?;
            match command {
                UserCommand::Add {
                    login,
                    name,
                    role,
                    team,
                    station,
                    language,
                } => {
                    let password = read_password()?;
                    let id = valgvagt::users::create_user(
                        &db,
                        &config.clock,
                        &valgvagt::users::UserSpec {
                            login: &login,
                            name: &name,
                            password: &password,
                            role: &role,
                            team: team.as_deref(),
                            station: station.as_deref(),
                            language: &language,
                        },
                    )
                    .await?;
                    println!("user {id} created; log in at /admin");
                }
                UserCommand::Password { login } => {
                    let password = read_password()?;
                    valgvagt::users::set_password(&db, &config.clock, &login, &password).await?;
                    println!("password set; the user's sessions have ended");
                }
                UserCommand::Disable { login } => {
                    valgvagt::users::disable(&db, &config.clock, &login).await?;
                    println!("user disabled; their sessions and API tokens have ended");
                }
                UserCommand::Token { login, name, days } => {
                    let days = (days > 0).then_some(days);
                    let (_, token) = valgvagt::users::create_named_api_token(
                        &db,
                        &config.clock,
                        &login,
                        &name,
                        days,
                    )
                    .await?;
                    println!("{token}");
                }
                UserCommand::Tokens => {
                    let mut tx = db.read().await?;
                    let day = |at: Option<chrono::DateTime<chrono::Utc>>| {
                        at.map_or("-".to_string(), |a| a.format("%Y-%m-%d").to_string())
                    };
                    println!("id\tuser\tname\tmade\texpires\tlast used\trevoked");
                    for t in tx.api_tokens().await? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            t.id,
                            t.login,
                            t.name,
                            day(Some(t.created_at)),
                            day(t.expires_at),
                            day(t.last_used_at),
                            day(t.revoked_at)
                        );
                    }
                }
                UserCommand::Revoke { id } => {
                    if valgvagt::users::revoke_api_token(&db, &config.clock, id, "cli").await? {
                        println!("token {id} revoked");
                    } else {
                        anyhow::bail!("there is no token {id} in use");
                    }
                }
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve(config, *args).await,
    }
}

async fn serve(mut config: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    config.bind = args.bind;
    config.dev_sms_on_network = args.dev_sms_on_network;
    config.contact.municipality = args.municipality;
    config.contact.contact = args.contact;
    config.contact.phone = args.contact_phone;
    config.contact.email = args.contact_email;
    config.municipality_code = args.municipality_code;
    config.gatewayapi_webhook_secret = args.gatewayapi_webhook_secret;
    config.gatewayapi_keyword = args.gatewayapi_keyword;
    config.sms_rate = args.sms_rate;
    config.sms_part_price_ore = args.sms_part_price;
    config.email = args.smtp_url.map(|smtp_url| valgvagt::mail::EmailConfig {
        smtp_url,
        from: args.mail_from,
        ca_file: args.smtp_ca,
    });
    config.public_url = args.public_url;
    config.trusted_proxies = args.trusted_proxies;
    config.link_key = args.link_key;
    config.telegram = args
        .telegram_token
        .filter(|t| !t.trim().is_empty())
        .map(|token| TelegramConfig {
            token,
            api_url: args.telegram_api_url,
            webhook_secret: args.telegram_webhook_secret,
        });
    config.sms = match args.sms.as_str() {
        "dev" => SmsConfig::Dev,
        "gatewayapi" => SmsConfig::GatewayApi(GatewayApiConfig {
            base_url: args.gatewayapi_base_url,
            token: args
                .gatewayapi_token
                .ok_or_else(|| anyhow::anyhow!("--sms gatewayapi needs GATEWAYAPI_TOKEN"))?,
            sender: args.gatewayapi_sender,
            timeout: valgvagt::sms::gatewayapi::DEFAULT_TIMEOUT,
        }),
        "twilio" => SmsConfig::Twilio(TwilioConfig {
            base_url: args.twilio_base_url,
            account_sid: args
                .twilio_account_sid
                .ok_or_else(|| anyhow::anyhow!("--sms twilio needs TWILIO_ACCOUNT_SID"))?,
            auth_token: args
                .twilio_auth_token
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| anyhow::anyhow!("--sms twilio needs TWILIO_AUTH_TOKEN"))?,
            sender: match (args.twilio_messaging_service_sid, args.twilio_from) {
                (Some(sid), _) => TwilioSender::MessagingService(sid),
                (None, Some(from)) => TwilioSender::From(from),
                (None, None) => {
                    anyhow::bail!("--sms twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
                }
            },
            status_callback: None,
        }),
        other => anyhow::bail!("--sms must be dev, gatewayapi or twilio, not {other}"),
    };
    let dev = matches!(config.sms, SmsConfig::Dev);
    let app = App::start(config).await?;
    if args.demo
        && let Some(id) = valgvagt::demo::seed(&app.engine).await?
    {
        println!("demo election {id} created; three people have been invited");
    }
    let base = format!("http://{}", app.addr);
    let demo_login = match args.demo {
        true => valgvagt::demo::seed_user(&app.engine).await?,
        false => None,
    };
    println!("valgvagt is serving on {base}");
    println!("  {base}/admin              the secretariat's admin");
    if let Some(d) = &demo_login {
        println!(
            "    log in as {} with the password {} (demo only)",
            d.login, d.password
        );
        println!(
            "    the JSON API takes: -H 'Authorization: Bearer {}'",
            d.api_token
        );
    } else if args.demo {
        println!(
            "    log in as sekretariat with the password printed when the demo was made (`valgvagt user password sekretariat` sets a new one)"
        );
    } else {
        let mut tx = app.engine.db.read().await?;
        if tx.count_users().await? == 0 {
            println!(
                "    nobody can log in yet: create the first user with `valgvagt user add LOGIN --name NAME`"
            );
        }
    }
    if dev {
        println!(
            "  {base}/                   the dev phones: read what was sent, answer as the worker (JA, NEJ, JA K7, STOP, HJÆLP)"
        );
    }
    println!("  {base}/api/elections      the JSON API (see docs/api.md)");
    println!("  {base}/healthz");
    shutdown_signal().await?;
    println!("stopping: finishing running jobs");
    app.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// A rate of messages a second: a positive number.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a rate: give messages a second, a positive number such as 10 or 0.5"
        )),
    }
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

fn parse_municipality_code(s: &str) -> Result<valgvagt::domain::MunicipalityCode, String> {
    valgvagt::domain::MunicipalityCode::parse(s).map_err(|e| e.to_string())
}
