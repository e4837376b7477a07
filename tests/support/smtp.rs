//! A real SMTP server on loopback (mailin-embedded) that keeps every
//! message it accepts, decoded with mailparse for assertions: plain SMTP,
//! STARTTLS with AUTH PLAIN, or implicit TLS (a TLS listener in front of
//! the plain server, as a TLS-terminating relay is), with the test
//! certificate in `tests/fixtures/tls`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::response::{AUTH_OK, INVALID_CREDENTIALS, OK};
use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig};

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Mail {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.raw).expect("a well-formed message")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// The decoded body of the first part of type `mime`.
    pub fn part(&self, mime: &str) -> Option<String> {
        fn find(p: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if p.ctype.mimetype == mime {
                return p.get_body().ok();
            }
            p.subparts.iter().find_map(|s| find(s, mime))
        }
        find(&self.parsed(), mime)
    }

    /// Every `http…/l/…` address in the plain-text part, in order.
    pub fn links(&self) -> Vec<String> {
        self.part("text/plain")
            .unwrap_or_default()
            .split_whitespace()
            .filter(|w| w.starts_with("http") && w.contains("/l/"))
            .map(str::to_string)
            .collect()
    }
}

#[derive(Clone)]
struct Capture {
    inbox: Arc<Mutex<Vec<Mail>>>,
    current: Option<Mail>,
    /// The user and password AUTH PLAIN takes.
    login: Option<(String, String)>,
}

impl Handler for Capture {
    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        match &self.login {
            Some((u, p)) if u == user && p == password => AUTH_OK,
            _ => INVALID_CREDENTIALS,
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Mail {
            from: from.to_string(),
            to: to.to_vec(),
            raw: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = &mut self.current {
            m.raw.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(m) = self.current.take() {
            self.inbox.lock().unwrap().push(m);
        }
        OK
    }
}

/// How the server takes connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    Plain,
    /// STARTTLS, then AUTH PLAIN with this user and password.
    StartTls {
        user: String,
        password: String,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

pub struct SmtpServer {
    pub port: u16,
    pub security: Security,
    inbox: Arc<Mutex<Vec<Mail>>>,
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

impl SmtpServer {
    /// Listens on a free loopback port, in a thread of its own.
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(Security::Plain)
    }

    pub fn start_with(security: Security) -> SmtpServer {
        // Both rustls providers are in the build: name the one to use.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let port = listener.local_addr().expect("address").port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let login = match &security {
            Security::StartTls { user, password } => Some((user.clone(), password.clone())),
            _ => None,
        };
        let mut server = Server::new(Capture {
            inbox: inbox.clone(),
            current: None,
            login: login.clone(),
        });
        let ssl = match security {
            Security::StartTls { .. } => SslConfig::SelfSigned {
                cert_path: fixture("server.pem"),
                key_path: fixture("server.key"),
            },
            _ => SslConfig::None,
        };
        server
            .with_name("smtp.test")
            .with_ssl(ssl)
            .expect("TLS set up")
            .with_tcp_listener(listener)
            .with_num_threads(16);
        if login.is_some() {
            server.with_auth(AuthMechanism::Plain);
        }
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("test SMTP server stopped: {e}");
            }
        });
        let port = match security {
            Security::Implicit => tls_in_front_of(port),
            _ => port,
        };
        SmtpServer {
            port,
            security,
            inbox,
        }
    }

    pub fn url(&self) -> String {
        match &self.security {
            Security::Plain => format!("smtp://127.0.0.1:{}", self.port),
            Security::StartTls { user, password } => {
                format!(
                    "smtp://{user}:{password}@127.0.0.1:{}?tls=required",
                    self.port
                )
            }
            Security::Implicit => format!("smtps://127.0.0.1:{}", self.port),
        }
    }

    /// The CA the service must trust to reach this server.
    pub fn ca_file(&self) -> Option<std::path::PathBuf> {
        (self.security != Security::Plain).then(|| fixture("ca.pem").into())
    }

    /// Every message accepted so far.
    pub fn inbox(&self) -> Vec<Mail> {
        self.inbox.lock().unwrap().clone()
    }

    /// The messages to `address`.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.inbox()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }
}

/// A TLS listener on a port of its own that hands each connection, once
/// the handshake is done, to the plain server on `plain`.
fn tls_in_front_of(plain: u16) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .expect("server.pem")
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).expect("server.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("TLS config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTPS");
    let port = listener.local_addr().expect("address").port();
    listener.set_nonblocking(true).expect("non-blocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut inner) = tokio::net::TcpStream::connect(("127.0.0.1", plain)).await
                    else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut inner).await;
                });
            }
        });
    });
    port
}
