//! Test harness: the real app on 127.0.0.1:0 against a fresh database of its own.
//!
//! The server is `DATABASE_URL` when set; otherwise one private cluster (the app's own local
//! mechanism) in a temporary directory for the whole test binary, stopped when the process
//! exits. Each test gets a new database copied from a template that already holds the
//! migrations and the unit lists, so tests of every area run in parallel without seeing each
//! other's data. What the process shares besides (the app's statics: the session cache, the
//! metrics recorder, the office-name cache) is keyed by session or by database, or only ever
//! grows, so no test depends on which others run beside it; tests set no environment
//! variables of their own process (only of the `danvan` processes they start).

mod builders;
mod page;

pub use page::{Filled, Page};

use std::str::FromStr;
use std::sync::OnceLock;

use danvan::config::AppConfig;
use danvan::db::{LocalCluster, quote_ident};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;

struct Server {
    options: PgConnectOptions,
    _cluster_dir: Option<std::path::PathBuf>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static CLUSTER: OnceLock<LocalCluster> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

extern "C" fn stop_cluster() {
    if let Some(cluster) = CLUSTER.get() {
        cluster.stop_if_owned();
        if let Some(dir) = cluster.pgdata().parent() {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let options = PgConnectOptions::from_str(&url).expect("DATABASE_URL is a PostgreSQL URL");
            return Server { options, _cluster_dir: None };
        }
        let dir = tempfile::Builder::new().prefix("danvan-test-").tempdir().expect("temporary directory");
        let cluster = LocalCluster::ensure_running(dir.path()).expect("private PostgreSQL cluster for tests");
        let dir = dir.keep();
        let options = cluster.connect_options("postgres");
        if CLUSTER.set(cluster).is_ok() {
            // SAFETY: registers a plain extern "C" function with no captured state.
            unsafe { nix::libc::atexit(stop_cluster) };
        }
        Server { options, _cluster_dir: Some(dir) }
    })
}

pub fn server_options() -> PgConnectOptions {
    server().options.clone()
}

/// On the private cluster the app under test connects as the restricted role, as `serve` does;
/// against a `DATABASE_URL` it uses that URL's role.
fn uses_app_role() -> bool {
    server()._cluster_dir.is_some()
}

/// The web server's pool for a test database: the restricted role, bounded statements.
pub async fn app_pool(database: &str) -> PgPool {
    let mut options = server_options().database(database);
    if uses_app_role() {
        options = options.username(danvan::db::LOCAL_APP_ROLE);
    }
    danvan::db::pool_for(options, 5, danvan::db::PoolPurpose::Requests).await.expect("app pool")
}

/// Serves the app on `listener` in the background, as `danvan serve` does.
pub fn serve_in_background(listener: tokio::net::TcpListener, state: danvan::AppState) {
    tokio::spawn(async move {
        danvan::server::serve_until(listener, state, danvan::server::HEADER_READ_TIMEOUT, std::future::pending())
            .await
            .ok();
    });
}

async fn admin() -> PgConnection {
    PgConnection::connect_with(&server_options().database("postgres")).await.expect("admin connection")
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect()
}

/// The template database: migrations applied, unit lists loaded. Named after the data it
/// holds, so a template from older code is never reused.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let migrations: String = danvan::db::MIGRATOR.iter().map(|m| hex::encode(&m.checksum[..4])).collect();
            let fingerprint = format!("{migrations}{}", danvan::units::reference::checksum());
            let digest = {
                use sha2::Digest;
                hex::encode(&sha2::Sha256::digest(fingerprint.as_bytes())[..8])
            };
            let name = format!("danvan_tpl_{digest}");
            let mut admin = admin().await;
            sqlx::query("SELECT pg_advisory_lock(7294099)").execute(&mut admin).await.expect("lock");
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .expect("query");
            if !exists {
                let building = format!("{name}_building");
                let drop = format!("DROP DATABASE IF EXISTS {}", quote_ident(&building));
                sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await.expect("drop");
                let create = format!("CREATE DATABASE {}", quote_ident(&building));
                sqlx::query(sqlx::AssertSqlSafe(create)).execute(&mut admin).await.expect("create template");
                let pool = danvan::db::pool(server_options().database(&building), 2).await.expect("pool");
                danvan::db::migrate(&pool).await.expect("migrate template");
                danvan::units::reference::ensure_loaded(&pool).await.expect("load units");
                if uses_app_role() {
                    danvan::db::grant_app_role(&pool, danvan::db::LOCAL_APP_ROLE, true).await.expect("grant app role");
                }
                pool.close().await;
                let rename = format!("ALTER DATABASE {} RENAME TO {}", quote_ident(&building), quote_ident(&name));
                sqlx::query(sqlx::AssertSqlSafe(rename)).execute(&mut admin).await.expect("rename template");
            }
            sqlx::query("SELECT pg_advisory_unlock(7294099)").execute(&mut admin).await.expect("unlock");
            admin.close().await.ok();
            name
        })
        .await
}

/// A new database for one test, copied from the template.
pub async fn fresh_database() -> PgConnectOptions {
    let template = template().await;
    let name = format!("danvan_test_{}", random_suffix());
    let mut admin = admin().await;
    let create = format!("CREATE DATABASE {} TEMPLATE {}", quote_ident(&name), quote_ident(template));
    let mut attempts = 0;
    loop {
        match sqlx::query(sqlx::AssertSqlSafe(create.clone())).execute(&mut admin).await {
            Ok(_) => break,
            // Another test may be copying the template at this instant.
            Err(error) if attempts < 20 => {
                attempts += 1;
                eprintln!("retrying CREATE DATABASE: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(error) => panic!("CREATE DATABASE failed: {error}"),
        }
    }
    admin.close().await.ok();
    server_options().database(&name)
}

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub database: String,
    pub client: reqwest::Client,
    /// The server's dashboard cache: tests that move reports directly apply their changes to it,
    /// as the workflow's handlers do after their commit.
    pub cache: std::sync::Arc<danvan::dashboards::cache::AggregateCache>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let options = fresh_database().await;
        let database = options.get_database().unwrap_or_default().to_owned();
        let pool = danvan::db::pool(options, 5).await.expect("pool");
        let state = danvan::server::state(app_pool(&database).await, AppConfig::for_tests());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let cache = state.aggregates.clone();
        serve_in_background(listener, state);
        let client = browser_like_client();
        TestApp { address, pool, database, client, cache }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET and return the status and the body text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Drops this test's database while the app runs (for the "database gone" case).
    pub async fn drop_database(&self) {
        let mut admin = admin().await;
        let drop = format!("DROP DATABASE {} WITH (FORCE)", quote_ident(&self.database));
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut admin).await.expect("drop database");
        admin.close().await.ok();
    }
}

/// A client that keeps cookies and does not follow redirects (tests look at the 303s). The
/// server closes a keep-alive connection idle for `server::HEADER_READ_TIMEOUT` (10 s); a request
/// sent on it at that instant meets a closed connection, which browsers retry and reqwest does
/// not (a test that spends longer than that building a file between two requests failed so on a
/// busy machine): idle connections are dropped well before.
fn browser_like_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(danvan::server::HEADER_READ_TIMEOUT / 2)
        .build()
        .expect("client")
}

pub const PASSWORD: &str = "Mat-khau-2026!";

static PASSWORD_HASH: OnceCell<String> = OnceCell::const_new();

/// Hashing is slow in debug builds: all test accounts share one hash of [`PASSWORD`].
async fn password_hash() -> &'static str {
    PASSWORD_HASH.get_or_init(|| async { danvan::auth::password::hash(PASSWORD.to_owned()).await.expect("hash") }).await
}

impl TestApp {
    /// An app with a national leader already signed in on `client`.
    pub async fn spawn_signed_in() -> TestApp {
        let app = TestApp::spawn().await;
        app.user("lanhdao.tw", "TW").role("lanh_dao").create().await;
        app.login(&app.client, "lanhdao.tw").await;
        app
    }

    pub fn new_client(&self) -> reqwest::Client {
        browser_like_client()
    }

    /// Logs `username` in on `client` through the login form.
    pub async fn login(&self, client: &reqwest::Client, username: &str) {
        self.login_with(client, username, PASSWORD).await;
    }

    /// Logs `username` in on `client` through the login form with `password`.
    pub async fn login_with(&self, client: &reqwest::Client, username: &str, password: &str) {
        let response = client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("POST /login");
        assert_eq!(response.status(), 303, "login of {username}");
    }

    /// A new client signed in as `username`.
    pub async fn client_for(&self, username: &str) -> reqwest::Client {
        let client = self.new_client();
        self.login(&client, username).await;
        client
    }
}

pub async fn text(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

impl TestApp {
    /// A second server on the same database, as after a restart.
    pub async fn restart(&self) -> TestApp {
        let options = server_options().database(&self.database);
        let pool = danvan::db::pool(options, 5).await.expect("pool");
        let state = danvan::server::state(app_pool(&self.database).await, AppConfig::for_tests());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let cache = state.aggregates.clone();
        serve_in_background(listener, state);
        TestApp { address, pool, database: self.database.clone(), client: self.new_client(), cache }
    }
}

impl TestApp {
    /// The page at `path` as `client` sees it on this server once `shows` holds of it, asked
    /// every 100 ms for up to five seconds (another server reads the change log every second);
    /// the last page seen when it never does.
    pub async fn page_until(&self, client: &reqwest::Client, path: &str, shows: impl Fn(&str) -> bool) -> String {
        let mut page = String::new();
        for _ in 0..50 {
            page = text(client.get(self.url(path)).send().await.expect("GET")).await.1;
            if shows(&page) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        page
    }

    /// An app whose database holds the demo dataset (accounts, catalogue, directives…).
    pub async fn spawn_with_demo() -> TestApp {
        let app = TestApp::spawn().await;
        danvan::demo::load(&app.pool).await.expect("demo data");
        app
    }

    /// A client signed in as a demo account.
    pub async fn demo_client(&self, username: &str) -> reqwest::Client {
        let client = self.new_client();
        self.login_with(&client, username, danvan::demo::DEMO_PASSWORD).await;
        client
    }
}

impl TestApp {
    /// The one value in the one row of `sql` (a literal, no parameters), read from the test's
    /// database; panics, naming the statement, when it fails or finds no row.
    pub async fn scalar<T>(&self, sql: &'static str) -> T
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
        T: Send + Unpin,
    {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// The one row of `sql` (a literal, no parameters) as a tuple or a `FromRow` type; panics,
    /// naming the statement, when it fails or finds no row.
    pub async fn row<T>(&self, sql: &'static str) -> T
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        sqlx::query_as(sql).fetch_one(&self.pool).await.unwrap_or_else(|error| panic!("{sql}: {error}"))
    }
}

impl TestApp {
    /// GET `path` as `client`: the status and the body.
    pub async fn get_as(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        text(client.get(self.url(path)).send().await.expect("GET")).await
    }

    /// `GET path` as `client`, read as JSON (panics on a body that is not JSON).
    pub async fn get_json_as(&self, client: &reqwest::Client, path: &str) -> serde_json::Value {
        client.get(self.url(path)).send().await.expect("GET").json().await.expect("json")
    }

    /// Opens `path` as `client` and fills the form that is, or holds, the element `id` as
    /// the page does (see [`Filled`]); panics unless the page opens.
    pub async fn open_form(&self, client: &reqwest::Client, path: &str, id: &str) -> Filled {
        let (status, page) = self.get_as(client, path).await;
        assert_eq!(status, 200, "{path}: {page}");
        let mut form = Page::parse(&page).fill(id);
        if form.action.is_empty() {
            // A form without `action` posts to its page's address.
            form.action = path.to_owned();
        }
        form
    }

    /// Sends a filled form as `client` where it posts: the status and the body.
    pub async fn send(&self, client: &reqwest::Client, form: &Filled) -> (u16, String) {
        assert!(!form.action.is_empty(), "a form filled from a page's text needs its address (`open_form` sets it)");
        text(client.post(self.url(&form.action)).form(&form.fields).send().await.expect("POST")).await
    }

    /// POST `form` to `path` as `client`, as a page's form does: the status and the body.
    pub async fn post_form_as(&self, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        text(client.post(self.url(path)).form(form).send().await.expect("POST")).await
    }

    /// POST `content` to `path` as `client`, as the file field (`file`) of an upload form
    /// named `filename`: the status and the body.
    pub async fn upload(&self, client: &reqwest::Client, path: &str, filename: &str, content: &[u8]) -> (u16, String) {
        let boundary = "----danvan-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = client
            .post(self.url(path))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .expect("upload");
        text(response).await
    }

    /// Sends a file of figures to `/imports/values` as the import page's form does.
    pub async fn upload_values(&self, client: &reqwest::Client, filename: &str, content: &[u8]) -> (u16, String) {
        self.upload(client, "/imports/values", filename, content).await
    }
}

/// The text a reader sees in HTML that askama escaped (`&gt;`, `&#34;`…).
pub fn unescape(html: &str) -> String {
    html.replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
