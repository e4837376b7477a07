//! Test builders: set up an election and people through the public API.

use serde_json::json;

use super::TestApp;

pub struct Election {
    pub id: i64,
    pub seats: Vec<i64>,
}

/// An election on 2029-11-20 with `seats` seats at one station, imported
/// through the API.
pub async fn election(app: &TestApp, seats: usize) -> Election {
    election_on(app, seats, "2029-11-20", "2029-11-19").await
}

/// An election on `day` (window from `starts_on`) with `seats` seats on
/// election day at one station.
pub async fn election_on(app: &TestApp, seats: usize, day: &str, starts_on: &str) -> Election {
    let file = format!(
        r#"
election: {{ title: Kommunalvalg 2029, type: Kommunalvalg, election_day: {day}, starts_on: {starts_on} }}
areas:
  - name: Midtbyen
    stations:
      - {{ name: Rådhushallen, address: Rådhuspladsen 1, voting_area: "1" }}
teams: [Borgerlisten]
task_types:
  - {{ name: Valgstyrer, start: "07:30", end: "21:00", payment: 600, trusted: true }}
seats:
  - {{ station: Rådhushallen, task_type: Valgstyrer, team: Borgerlisten, count: {seats} }}
"#
    );
    import(app, &file).await
}

/// Imports an election file through the API; its seats in id order.
pub async fn import(app: &TestApp, file: &str) -> Election {
    let r = app
        .http
        .post(app.url("/api/elections"))
        .body(file.to_string())
        .send()
        .await
        .expect("import");
    assert_eq!(
        r.status(),
        201,
        "import: {}",
        r.text().await.unwrap_or_default()
    );
    let summary: serde_json::Value = r.json().await.expect("summary");
    let id = summary["election_id"].as_i64().expect("election id");
    let list = app.get_json(&format!("/api/elections/{id}/seats")).await;
    let seats = list
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["id"].as_i64().expect("seat id"))
        .collect();
    Election { id, seats }
}

pub struct PersonBuilder {
    name: String,
    cpr: String,
    phone: Option<String>,
    email: Option<String>,
    preferred_channel: String,
    language: String,
}

impl Default for PersonBuilder {
    fn default() -> Self {
        PersonBuilder {
            name: "Anna Jensen".into(),
            cpr: "120385-1234".into(),
            phone: Some("+4520000001".into()),
            email: None,
            preferred_channel: "sms".into(),
            language: "da".into(),
        }
    }
}

impl PersonBuilder {
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    pub fn cpr(mut self, cpr: &str) -> Self {
        self.cpr = cpr.into();
        self
    }
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.into());
        self
    }
    /// Reached by e-mail first: sets the address and the preference.
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.into());
        self.preferred_channel = "email".into();
        self
    }
    /// The channel tried first (`sms`, `email`).
    pub fn prefers(mut self, channel: &str) -> Self {
        self.preferred_channel = channel.into();
        self
    }
    pub fn language(mut self, language: &str) -> Self {
        self.language = language.into();
        self
    }

    pub async fn create(self, app: &TestApp) -> i64 {
        let r = app
            .http
            .post(app.url("/api/people"))
            .json(&json!({
                "name": self.name, "cpr": self.cpr, "phone": self.phone, "email": self.email,
                "preferred_channel": self.preferred_channel, "language": self.language,
            }))
            .send()
            .await
            .expect("create person");
        assert_eq!(
            r.status(),
            201,
            "create person: {}",
            r.text().await.unwrap_or_default()
        );
        r.json::<serde_json::Value>().await.expect("json")["id"]
            .as_i64()
            .expect("id")
    }
}

pub fn person() -> PersonBuilder {
    PersonBuilder::default()
}

/// Assigns through the API and waits for the jobs it caused.
pub async fn assign(app: &TestApp, seat: i64, person: i64) -> reqwest::Response {
    let r = app
        .http
        .post(app.url(&format!("/api/seats/{seat}/assign")))
        .json(&json!({ "person_id": person }))
        .send()
        .await
        .expect("assign");
    app.settle().await;
    r
}

/// Puts a person on standby for any seat of the election on `date`.
pub async fn standby(app: &TestApp, election: i64, person: i64, date: &str) {
    let r = app
        .http
        .post(app.url("/api/standby"))
        .json(&json!({ "election_id": election, "person_id": person, "date": date }))
        .send()
        .await
        .expect("standby");
    assert_eq!(
        r.status(),
        201,
        "standby: {}",
        r.text().await.unwrap_or_default()
    );
}

/// The id of the team (party) named `name`.
pub async fn team_id(app: &TestApp, name: &str) -> i64 {
    let teams = app.get_json("/api/teams").await;
    teams
        .as_array()
        .expect("teams")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no team {name}: {teams}"))["id"]
        .as_i64()
        .expect("team id")
}

/// Makes a person a member of the team (party) named `team`: its seats
/// are the ones offered to them from standby.
pub async fn join(app: &TestApp, person: i64, team: &str) {
    let id = team_id(app, team).await;
    let r = app
        .http
        .post(app.url(&format!("/api/teams/{id}/members")))
        .json(&json!({ "person_id": person }))
        .send()
        .await
        .expect("join");
    assert_eq!(
        r.status(),
        200,
        "join: {}",
        r.text().await.unwrap_or_default()
    );
}

/// Puts a member of `team` on standby for any seat of the election on
/// `date`.
pub async fn party_standby(app: &TestApp, election: i64, person: i64, date: &str, team: &str) {
    join(app, person, team).await;
    standby(app, election, person, date).await;
}

/// Makes a person the responsible of the station of `seat`.
pub async fn responsible_for_station_of(app: &TestApp, seat: i64, person: i64) {
    let s = app.get_json(&format!("/api/seats/{seat}")).await;
    let station = s["seat"]["station_id"].as_i64().expect("station");
    let r = app
        .http
        .put(app.url(&format!("/api/stations/{station}/responsible")))
        .json(&json!({ "person_id": person }))
        .send()
        .await
        .expect("responsible");
    assert_eq!(
        r.status(),
        200,
        "responsible: {}",
        r.text().await.unwrap_or_default()
    );
}

/// `count` people named `Reserve 1`, … with phones `+45<prefix>0001`, …
/// and CPR numbers of adults, distinct for each four-digit prefix.
pub async fn people(app: &TestApp, count: usize, prefix: &str) -> Vec<(i64, String)> {
    let year = 40 + prefix[..2].parse::<usize>().expect("a numeric prefix") % 50;
    let mut out = Vec::new();
    for i in 1..=count {
        let phone = format!("+45{prefix}{i:04}");
        let cpr = format!("{:02}0{}{year}-{:04}", (i % 28) + 1, (i % 9) + 1, 1000 + i);
        let id = person()
            .name(&format!("Reserve {i}"))
            .cpr(&cpr)
            .phone(&phone)
            .create(app)
            .await;
        out.push((id, phone));
    }
    out
}

/// The code a swap message asks to be answered with (`Svar K7 og tallet`).
pub fn swap_code(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[0] == "Svar" && valgvagt::domain::ShortCode::parse(w[1]).is_ok())
        .map(|w| w[1].to_string())
        .unwrap_or_else(|| panic!("no swap code in {message:?}"))
}

/// The code a message asks to be answered with (`… JA K7 …`).
pub fn code_in(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| {
            w[0] == "JA" && valgvagt::domain::ShortCode::parse(w[1].trim_end_matches('.')).is_ok()
        })
        .map(|w| w[1].trim_end_matches('.').to_string())
        .unwrap_or_else(|| panic!("no code in {message:?}"))
}
