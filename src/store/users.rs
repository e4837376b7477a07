//! The web admin's users, their sessions and API tokens, and the login
//! attempts that limit password guessing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Tx;
use crate::domain::{Login, Role};
use crate::{exec, q};

/// A user as the pages see them; the password hash stays in the store.
#[derive(Clone, Serialize, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub station_id: Option<i64>,
    pub language: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "User#{}({})", self.id, self.role)
    }
}

impl UserRow {
    /// The role, or `Reader` if the row breaks the rules (it cannot: the
    /// table's checks hold).
    pub fn role(&self) -> Role {
        Role::parse(&self.role, self.team_id, self.station_id).unwrap_or(Role::Reader)
    }
}

pub struct NewUser<'a> {
    pub login: &'a Login,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub language: &'a str,
}

/// A session found by its cookie.
pub struct SessionRow {
    pub user: UserRow,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "u.id, u.login, u.name, u.role, u.team_id, u.station_id, u.language, u.disabled_at, u.created_at";

impl Tx {
    pub async fn insert_user(&mut self, u: &NewUser<'_>, now: DateTime<Utc>) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO users (login, name, password_hash, role, team_id, station_id, language, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
            )
            .bind(u.login.as_str())
            .bind(u.name)
            .bind(u.password_hash)
            .bind(u.role.name())
            .bind(u.role.team_id())
            .bind(u.role.station_id())
            .bind(u.language)
            .bind(now)
        )
    }

    pub async fn set_password(&mut self, user_id: i64, hash: &str) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(user_id)
                .bind(hash)
        )
    }

    pub async fn set_user_language(&mut self, user_id: i64, language: &str) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
                .bind(user_id)
                .bind(language)
        )
    }

    pub async fn count_users(&mut self) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
        )
    }

    pub async fn user(&mut self, id: i64) -> sqlx::Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
        q!(
            self,
            fetch_optional,
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id)
        )
    }

    /// Every user, enabled first, by name.
    pub async fn users(&mut self) -> sqlx::Result<Vec<UserRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.disabled_at IS NOT NULL, u.name, u.id"
        );
        q!(
            self,
            fetch_all,
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        )
    }

    /// The user with this login and their password hash, if enabled.
    pub async fn user_for_login(
        &mut self,
        login: &Login,
    ) -> sqlx::Result<Option<(UserRow, String)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u
             WHERE u.login = $1 AND u.disabled_at IS NULL"
        );
        let row: Option<UserWithHash> = q!(
            self,
            fetch_optional,
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(login.as_str())
        )?;
        Ok(row.map(|r| (r.user, r.password_hash)))
    }

    /// Failed attempts since `since`: for this login from the same
    /// trusted device (`device`) or from untrusted browsers (`None`), and
    /// from this address by untrusted browsers over all logins; with the
    /// latest of them.
    pub async fn failed_logins(
        &mut self,
        login: &str,
        ip: &str,
        device: Option<&str>,
        since: DateTime<Utc>,
    ) -> sqlx::Result<(i64, i64, Option<DateTime<Utc>>)> {
        q!(
            self,
            fetch_one,
            sqlx::query_as(
                "SELECT
                   (SELECT COUNT(*) FROM login_attempts WHERE login = $1 AND at > $4 AND NOT ok
                      AND (($3 IS NULL AND device IS NULL) OR device = $3)),
                   (SELECT COUNT(*) FROM login_attempts WHERE ip = $2 AND at > $4 AND NOT ok
                      AND device IS NULL AND $3 IS NULL),
                   (SELECT MAX(at) FROM login_attempts WHERE at > $4 AND NOT ok
                      AND ((login = $1 AND (($3 IS NULL AND device IS NULL) OR device = $3))
                        OR (ip = $2 AND device IS NULL AND $3 IS NULL)))"
            )
            .bind(login)
            .bind(ip)
            .bind(device)
            .bind(since)
        )
    }

    pub async fn record_login_attempt(
        &mut self,
        login: &str,
        ip: &str,
        device: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO login_attempts (login, ip, at, ok, device) VALUES ($1, $2, $3, FALSE, $4) RETURNING id"
            )
            .bind(login)
            .bind(ip)
            .bind(now)
            .bind(device)
        )
    }

    /// Whether a device cookie (its hash) was given to a browser that
    /// logged in as `login`,
    /// given since `since` (a device is trusted for a while, not for ever).
    pub async fn is_trusted_device(
        &mut self,
        token_hash: &str,
        login: &str,
        since: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n: i64 = q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM trusted_devices WHERE token_hash = $1 AND login = $2 AND created_at > $3"
            )
            .bind(token_hash)
            .bind(login)
            .bind(since)
        )?;
        Ok(n > 0)
    }

    /// Forgets the devices trusted for a login: a new password, or the
    /// user disabled.
    pub async fn forget_devices_of(&mut self, login: &str) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM trusted_devices WHERE login = $1").bind(login)
        )?;
        Ok(())
    }

    pub async fn trust_device(
        &mut self,
        token_hash: &str,
        login: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO trusted_devices (token_hash, login, created_at) VALUES ($1, $2, $3)"
            )
            .bind(token_hash)
            .bind(login)
            .bind(now)
        )?;
        Ok(())
    }

    pub async fn login_attempt_succeeded(&mut self, id: i64) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE login_attempts SET ok = TRUE WHERE id = $1").bind(id)
        )?;
        Ok(())
    }

    /// Attempts older than the guessing window are only personal data
    /// (what was typed as a login): they are kept a day.
    pub async fn forget_login_attempts_before(
        &mut self,
        before: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM login_attempts WHERE at < $1").bind(before)
        )?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&mut self, now: DateTime<Utc>) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now)
        )?;
        Ok(())
    }

    /// Makes concurrent transactions about the same login wait for each
    /// other (SQLite's writers already do: one at a time).
    pub async fn serialise_on(&mut self, key: &str) -> sqlx::Result<()> {
        if self.backend() == super::Backend::Postgres {
            exec!(
                self,
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(key)
            )?;
        }
        Ok(())
    }

    /// Disables a user: their sessions and API tokens end.
    pub async fn disable_user(&mut self, user_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
                .bind(user_id)
                .bind(now)
        )?;
        self.delete_sessions_of(user_id).await?;
        self.delete_api_tokens_of(user_id).await?;
        Ok(())
    }

    pub async fn delete_api_tokens_of(&mut self, user_id: i64) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(user_id)
        )
    }

    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
                 VALUES ($1, $2, $3, $4, $4, $5)"
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
        )?;
        Ok(())
    }

    /// The live session with this token hash, of an enabled user.
    pub async fn session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<SessionRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at FROM sessions s
             JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
        );
        let row: Option<SessionJoin> = q!(
            self,
            fetch_optional,
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(token_hash)
                .bind(now)
        )?;
        Ok(row.map(|r| SessionRow {
            user: r.user,
            csrf_token: r.csrf_token,
            created_at: r.session_created_at,
            last_seen_at: r.last_seen_at,
        }))
    }

    /// Keeps an active session alive until `expires_at`.
    pub async fn touch_session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1"
            )
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
        )?;
        Ok(())
    }

    pub async fn delete_session(&mut self, token_hash: &str) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash)
        )?;
        Ok(())
    }

    /// Ends every session of a user (a new password, a disabled user).
    pub async fn delete_sessions_of(&mut self, user_id: i64) -> sqlx::Result<u64> {
        exec!(
            self,
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
        )
    }

    pub async fn insert_api_token(
        &mut self,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "INSERT INTO api_tokens (token_hash, user_id, name, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(name)
            .bind(expires_at)
            .bind(now)
        )
    }

    /// The user of a token that is neither revoked nor expired, with when
    /// the token was last used.
    pub async fn user_for_api_token(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<(UserRow, Option<DateTime<Utc>>)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.last_used_at AS token_last_used_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND u.disabled_at IS NULL AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2)"
        );
        let row: Option<TokenJoin> = q!(
            self,
            fetch_optional,
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(token_hash)
                .bind(now)
        )?;
        Ok(row.map(|r| (r.user, r.token_last_used_at)))
    }

    pub async fn touch_api_token(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(now)
        )?;
        Ok(())
    }

    /// Every API token, newest first, with its user's login.
    pub async fn api_tokens(&mut self) -> sqlx::Result<Vec<ApiTokenRow>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT t.id, u.login, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC"
            )
        )
    }

    /// Revokes one token. False if there is no such token in use.
    pub async fn revoke_api_token(&mut self, id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
            )
            .bind(id)
            .bind(now)
        )?;
        Ok(n > 0)
    }

    pub async fn add_team_member(&mut self, team_id: i64, person_id: i64) -> sqlx::Result<()> {
        exec!(
            self,
            sqlx::query(
                "INSERT INTO team_members (team_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
            .bind(team_id)
            .bind(person_id)
        )?;
        Ok(())
    }

    /// Takes a person out of a team. False if they were not in it.
    pub async fn remove_team_member(&mut self, team_id: i64, person_id: i64) -> sqlx::Result<bool> {
        let n = exec!(
            self,
            sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND person_id = $2")
                .bind(team_id)
                .bind(person_id)
        )?;
        Ok(n == 1)
    }

    /// The teams a person belongs to.
    pub async fn teams_of_person(&mut self, person_id: i64) -> sqlx::Result<Vec<i64>> {
        q!(
            self,
            fetch_all,
            sqlx::query_scalar(
                "SELECT team_id FROM team_members WHERE person_id = $1 ORDER BY team_id"
            )
            .bind(person_id)
        )
    }

    /// Whether the person holds a seat of the team on `from` or later.
    pub async fn holds_team_seat_from(
        &mut self,
        person_id: i64,
        team_id: i64,
        from: chrono::NaiveDate,
    ) -> sqlx::Result<bool> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM seats WHERE person_id = $1 AND team_id = $2 AND date >= $3)"
            )
            .bind(person_id)
            .bind(team_id)
            .bind(from)
        )
    }

    /// The team's responsibles (party secretaries) who may log in.
    pub async fn team_responsibles(&mut self, team_id: i64) -> sqlx::Result<Vec<UserRow>> {
        q!(
            self,
            fetch_all,
            sqlx::query_as(
                "SELECT id, login, name, role, team_id, station_id, language, disabled_at, created_at
                 FROM users WHERE role = 'team' AND team_id = $1 AND disabled_at IS NULL ORDER BY id"
            )
            .bind(team_id)
        )
    }

    pub async fn is_team_member(&mut self, team_id: i64, person_id: i64) -> sqlx::Result<bool> {
        q!(
            self,
            fetch_one,
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = $1 AND person_id = $2)"
            )
            .bind(team_id)
            .bind(person_id)
        )
    }
}

#[derive(sqlx::FromRow)]
struct UserWithHash {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct TokenJoin {
    #[sqlx(flatten)]
    user: UserRow,
    token_last_used_at: Option<DateTime<Utc>>,
}

/// An API token as the list shows it (never the token itself).
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SessionJoin {
    #[sqlx(flatten)]
    user: UserRow,
    csrf_token: String,
    session_created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}
