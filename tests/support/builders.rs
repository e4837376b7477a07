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
    let file = format!(
        r#"
election: {{ title: Kommunalvalg 2029, type: Kommunalvalg, election_day: 2029-11-20, starts_on: 2029-11-19 }}
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
    let r = app
        .http
        .post(app.url("/api/elections"))
        .body(file)
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
    language: String,
}

impl Default for PersonBuilder {
    fn default() -> Self {
        PersonBuilder {
            name: "Anna Jensen".into(),
            cpr: "120385-1234".into(),
            phone: Some("+4520000001".into()),
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
    pub fn language(mut self, language: &str) -> Self {
        self.language = language.into();
        self
    }

    pub async fn create(self, app: &TestApp) -> i64 {
        let r = app
            .http
            .post(app.url("/api/people"))
            .json(&json!({ "name": self.name, "cpr": self.cpr, "phone": self.phone, "language": self.language }))
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
