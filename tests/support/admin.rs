//! A browser on the admin's pages, as far as handler tests need one: it
//! keeps the session cookie, finds each page's CSRF token, and does not
//! follow redirects, so a test sees where it is sent.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use super::TestApp;

pub struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    /// The CSRF token of the last page that had one.
    pub csrf: Option<String>,
}

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.status, StatusCode::OK, "page: {}", self.body);
        self
    }
}

/// The value of `attr` on the first tag that has `marker` (`name="_csrf"`).
pub fn attr_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let key = format!("{attr}=\"");
    let v = tag.find(&key)? + key.len();
    let end = tag[v..].find('"')?;
    Some(tag[v..v + end].to_string())
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.url(""),
            cookies: Vec::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    async fn take(&mut self, r: reqwest::Response) -> Page {
        for v in r.headers().get_all(SET_COOKIE) {
            let v = v.to_str().expect("cookie");
            let pair = v.split(';').next().expect("pair");
            let (k, val) = pair.split_once('=').expect("k=v");
            self.cookies.retain(|(name, _)| name != k);
            let expired = v.contains("Max-Age=0");
            if !expired {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
        let status = r.status();
        let location = r
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().expect("location").to_string());
        let body = r.text().await.unwrap_or_default();
        if let Some(t) = attr_after(&body, "name=\"csrf-token\"", "content")
            .or_else(|| attr_after(&body, "name=\"_csrf\"", "value"))
            .filter(|t| !t.is_empty())
        {
            self.csrf = Some(t);
        }
        Page {
            status,
            location,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.take(r).await
    }

    /// GET with exactly this cookie header.
    pub async fn get_with_cookie(&mut self, path: &str, cookie: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .send()
            .await
            .expect("GET");
        self.take(r).await
    }

    /// Posts a form as it is, without adding the CSRF token.
    pub async fn post_raw(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.take(r).await
    }

    /// Posts a `multipart/form-data` form (one that uploads a file) with
    /// the CSRF token of the last page; `file` is the field `file`.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<&[u8]>,
    ) -> Page {
        let token = self.csrf.clone().expect("a page with a CSRF token first");
        let mut form = reqwest::multipart::Form::new().text("_csrf", token);
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some(bytes) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("personer.csv"),
            );
        }
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .expect("POST");
        self.take(r).await
    }

    /// GET, and the body as bytes (a download).
    pub async fn download(&mut self, path: &str) -> (StatusCode, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        (r.status(), r.bytes().await.expect("body").to_vec())
    }

    /// Posts a form with the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone().expect("a page with a CSRF token first");
        let mut form: Vec<(&str, &str)> = form.to_vec();
        form.push(("_csrf", &token));
        self.post_raw(path, &form).await
    }

    /// Opens the login page and logs in; returns the answer to the form.
    pub async fn log_in(&mut self, login: &str, password: &str) -> Page {
        let page = self.get("/admin/login?next=/admin/board").await;
        page.assert_ok();
        self.post(
            "/admin/login",
            &[
                ("login", login),
                ("password", password),
                ("next", "/admin/board"),
            ],
        )
        .await
    }

    /// Logs in and expects to land on the board.
    pub async fn logged_in(app: &TestApp, login: &str, password: &str) -> Browser {
        let mut b = Browser::new(app);
        let r = b.log_in(login, password).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login: {}", r.body);
        assert_eq!(r.location.as_deref(), Some("/admin/board"));
        b.get("/admin/board").await.assert_ok();
        b
    }

    /// A JSON API call with the session cookie, and the CSRF header if given.
    pub async fn api(&self, method: reqwest::Method, path: &str, csrf: Option<&str>) -> StatusCode {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .json(&serde_json::json!({}));
        if let Some(t) = csrf {
            r = r.header("X-CSRF-Token", t);
        }
        r.send().await.expect("API call").status()
    }
}

/// Creates a user of the admin.
pub async fn user(
    app: &TestApp,
    login: &str,
    role: &str,
    team: Option<&str>,
    station: Option<&str>,
) -> i64 {
    valgvagt::users::create_user(
        &app.engine().db,
        &app.engine().clock,
        &valgvagt::users::UserSpec {
            login,
            name: &format!("Bruger {login}"),
            password: PASSWORD,
            role,
            team,
            station,
            language: "da",
        },
    )
    .await
    .expect("user")
}

/// Every test user's password.
pub const PASSWORD: &str = "en lang nok adgangskode";

/// Makes a person a member of a team (by name).
pub async fn team_member(app: &TestApp, team: &str, person: i64) {
    let db = &app.engine().db;
    let mut tx = db.begin().await.expect("begin");
    let team = tx
        .teams()
        .await
        .expect("teams")
        .into_iter()
        .find(|t| t.name == team)
        .expect("team");
    tx.add_team_member(team.id, person).await.expect("member");
    tx.commit().await.expect("commit");
}
