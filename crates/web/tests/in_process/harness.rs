//! The in-process test harness for the business flows: the real application object with
//! its real store (SQLite in a temporary directory), the sandbox SMS and e-mail service, a
//! settable clock, and the real router driven without a socket. Jobs run when a test says
//! so ([`TestApp::run_jobs`]); time moves when a test says so ([`TestApp::clock`]). No
//! production code path is bypassed: requests go through every layer a browser's would.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use domain::time::{ChinaDate, SettableClock, UnixTime};
use providers::notify::sandbox::SandboxNotifier;
use services::{App, Config, Notifiers};
use tower::ServiceExt;

/// An installation under test.
pub struct TestApp {
    pub app: Arc<App>,
    /// The clock of the whole installation (store stamps, rules, providers).
    pub clock: Arc<SettableClock>,
    /// The SMS service the outbox delivers to.
    pub sms: Arc<SandboxNotifier>,
    pub email: Arc<SandboxNotifier>,
    /// The database, for a test that must reach it from outside (an injected failure).
    pub database_url: String,
    router: Router,
    _dir: tempfile::TempDir,
}

/// A time of day in Beijing, as the tests speak of it: `at("2026-09-30", 10, 0)`.
pub fn at(date: &str, hour: i64, minute: i64) -> UnixTime {
    let day: ChinaDate = date.parse().expect("a date like 2026-09-30");
    day.start().plus_seconds(hour * 3600 + minute * 60)
}

impl TestApp {
    /// The built-in hall configuration, the clock at 2026-11-02 10:00 in Beijing.
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// Like [`TestApp::new`], with a change to the configuration first.
    pub async fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let clock = Arc::new(SettableClock::at(at("2026-11-02", 10, 0)));
        let mut config = Config::under(dir.path(), clock.clone()).expect("configuration");
        config.invoicing = Some(services::flows::invoice::sandbox_issuer(
            config.pdf_font.clone(),
        ));
        adjust(&mut config);
        let database_url = config.database_url.clone();
        let (sms, email) = (
            Arc::new(SandboxNotifier::new()),
            Arc::new(SandboxNotifier::new()),
        );
        let notifiers = Notifiers {
            sms: sms.clone(),
            email: email.clone(),
        };
        let app = App::open(config, notifiers)
            .await
            .expect("open the application");
        // What `serve` does at start.
        app.open_ca().await.expect("CA engine");
        services::hall::channels::seed(&app)
            .await
            .expect("channels");
        let router = certhall_web::router(certhall_web::AppState {
            app: app.clone(),
            secure_cookies: false,
            trusted_proxies: Arc::new(Vec::new()),
        });
        TestApp {
            app,
            clock,
            sms,
            email,
            database_url,
            router,
            _dir: dir,
        }
    }

    /// Like [`TestApp::new`], on a fresh database of the PostgreSQL server the test script
    /// starts (`CERTHALL_TEST_POSTGRES_URL`).
    pub async fn on_postgres() -> Self {
        let url = Self::fresh_postgres_database().await;
        Self::with(|config| config.database_url = url).await
    }

    /// A new, empty database on the PostgreSQL server the test script starts; its URL.
    async fn fresh_postgres_database() -> String {
        let admin = std::env::var("CERTHALL_TEST_POSTGRES_URL").expect(
            "CERTHALL_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts PostgreSQL",
        );
        let name = unique_name("certhall_test_flow_");
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .expect("PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
    }

    /// Like [`TestApp::new`], with documents kept in a fresh bucket of the S3-compatible
    /// server the test script starts (`CERTHALL_TEST_S3_ENDPOINT`, moto).
    pub async fn on_s3() -> Self {
        use providers::storage::s3::{S3Settings, S3Store};
        let endpoint = std::env::var("CERTHALL_TEST_S3_ENDPOINT").expect(
            "CERTHALL_TEST_S3_ENDPOINT is not set: run scripts/test.sh, which starts an S3-compatible server",
        );
        let bucket = unique_name("certhall-flow-").replace('_', "-");
        // Request signatures carry the time: the real one, as a real store checks it.
        let store = S3Store::new(
            S3Settings {
                endpoint,
                bucket,
                region: "us-east-1".into(),
                access_key_id: "AKIACERTHALLTEST".into(),
                secret_access_key: zeroize::Zeroizing::new("certhall-test-secret".into()),
            },
            Arc::new(domain::time::SystemClock),
        )
        .expect("S3 store");
        store.create_bucket().await.expect("bucket");
        Self::with(|config| config.storage = Arc::new(store)).await
    }

    /// Like [`TestApp::new`], with online payment through Alipay and WeChat Pay as `sim`
    /// simulates them (Alipay offered first), the router also served on 127.0.0.1 so that
    /// the simulator's notices reach the real endpoints. The simulator keeps the
    /// application's settable clock (WeChat Pay signs with the time).
    pub async fn with_alipay(sim: &paysim::Simulator) -> Self {
        Self::with_alipay_on(sim, None).await
    }

    /// [`TestApp::with_alipay`] on a fresh PostgreSQL database.
    pub async fn with_alipay_on_postgres(sim: &paysim::Simulator) -> Self {
        let url = Self::fresh_postgres_database().await;
        Self::with_alipay_on(sim, Some(url)).await
    }

    async fn with_alipay_on(sim: &paysim::Simulator, database_url: Option<String>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the notices");
        let notify_url = format!(
            "http://{}/pay/notify/alipay",
            listener.local_addr().expect("address")
        );
        let private_key = sim.new_merchant("2021000000000001").expect("merchant key");
        let alipay_public_key = sim.alipay_public_key_pem();
        let gateway = sim.alipay_gateway();
        let wechat_key = sim
            .new_wechat_merchant("1900000001", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
            .expect("WeChat merchant key");
        let (wechat_public, wechat_public_id, apiv3) = sim.wechat_keys();
        let wechat_base = sim.base_url().to_string();
        let wechat_notify = notify_url.replace("/alipay", "/wechat");
        let test = Self::with(move |config| {
            if let Some(url) = database_url {
                config.database_url = url;
            }
            use services::hall::merchants::{MerchantKeys, build};
            let alipay = MerchantKeys::Alipay {
                gateway,
                app_id: "2021000000000001".into(),
                seller_id: Some("2088000000000001".into()),
                private_key: zeroize::Zeroizing::new(private_key),
                alipay_public_key,
            };
            let clock = config.clock.clone();
            config
                .online_payments
                .push(build(&alipay, None, notify_url, clock.clone()).expect("Alipay adapter"));
            let wechat = MerchantKeys::Wechat {
                base_url: wechat_base,
                mchid: "1900000001".into(),
                appid: "wx0000000000000001".into(),
                merchant_serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
                private_key: zeroize::Zeroizing::new(wechat_key),
                public_key: wechat_public,
                public_key_id: wechat_public_id,
                apiv3_key: zeroize::Zeroizing::new(apiv3),
            };
            config
                .online_payments
                .push(build(&wechat, None, wechat_notify, clock).expect("WeChat Pay adapter"));
        })
        .await;
        let clock = test.clock.clone();
        sim.set_clock(Arc::new(move || {
            use domain::time::Clock;
            clock.now().seconds()
        }));
        let router = test.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve")
        });
        test
    }

    /// A logged-in customer with a new account on `phone`, from `ip`.
    pub async fn customer(&self, phone: &str, ip: [u8; 4]) -> Client<'_> {
        let mut client = self.client(ip);
        let answer = client
            .call(
                "POST",
                "/api/v1/sms-codes",
                serde_json::json!({"phone": phone, "purpose": "register"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
        let code = self.sms_code(phone).await;
        let body = serde_json::json!({"phone": phone, "code": code, "password": "goodpass123", "agree": true});
        let answer = client.call("POST", "/api/v1/accounts", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        client
    }

    /// A browser or API client with its own cookies, from `ip`.
    pub fn client(&self, ip: [u8; 4]) -> Client<'_> {
        Client {
            app: self,
            cookies: BTreeMap::new(),
            csrf: None,
            ip: SocketAddr::from((ip, 40_000)),
        }
    }

    /// A console client logged in as a new operator `username` with `roles`.
    pub async fn operator(&self, username: &str, roles: &str) -> Client<'_> {
        let password = self.new_operator(username, roles).await;
        let mut console = self.client([10, 0, 2, 1]);
        let login = serde_json::json!({"username": username, "password": *password});
        let answer = console.call("POST", "/api/v1/console/session", login).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        console
    }

    /// A new operator `username` with `roles`; its password.
    pub async fn new_operator(&self, username: &str, roles: &str) -> zeroize::Zeroizing<String> {
        let cli = services::people::actor::Actor::Cli("test".into());
        services::people::operators::create(&self.app, &cli, username, username, roles)
            .await
            .expect("operator")
    }

    /// Serves the application over HTTP on 127.0.0.1 (for a client that is a real program:
    /// the payment simulator's notices, the producer's workstation); its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let router = self.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve")
        });
        base
    }

    /// Panics when `secret` (a PIN, a stretch of a private key) is anywhere in the
    /// database: the SQLite files, or a `pg_dump` of the PostgreSQL database.
    pub fn assert_not_stored(&self, secret: &[u8], what: &str) {
        let mut stored: Vec<(String, Vec<u8>)> = Vec::new();
        if self.database_url.starts_with("postgres") {
            let dump = std::process::Command::new("pg_dump")
                .arg("--dbname")
                .arg(&self.database_url)
                .output()
                .expect("pg_dump");
            assert!(
                dump.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&dump.stderr)
            );
            stored.push(("pg_dump".into(), dump.stdout));
        } else {
            for file in ["certhall.db", "certhall.db-wal"] {
                if let Ok(bytes) = std::fs::read(self.app.data_dir.join(file)) {
                    stored.push((file.into(), bytes));
                }
            }
        }
        assert!(!stored.is_empty(), "nothing to search");
        for (name, bytes) in stored {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{name} holds {what}"
            );
        }
    }

    /// The audit log's actions on `object` (e.g. `order:3`) starting with `action`, newest
    /// first, as an administrator reads them.
    pub async fn audit_actions(&self, object: &str, action: &str) -> Vec<String> {
        let filter = domain::AuditFilter {
            action_prefix: action.into(),
            object_prefix: object.into(),
            ..Default::default()
        };
        let admin = services::people::actor::Actor::Cli("test".into());
        services::audit::list(&self.app, &admin, &filter, 500)
            .await
            .expect("audit log")
            .into_iter()
            // `order:1` is not `order:12`.
            .filter(|e| e.object == object)
            .map(|e| e.action)
            .collect()
    }

    /// One round of every background job, now (outbox delivery, CRL publication).
    pub async fn run_jobs(&self) {
        services::jobs::outbox::run_once(&self.app)
            .await
            .expect("outbox round");
        services::jobs::crl::run_once(&self.app)
            .await
            .expect("CRL round");
    }

    /// Signs and submits application `id` of `client` (version `version`) with the code the
    /// customer's `phone` receives: the submission's answer.
    pub async fn sign_and_submit(
        &self,
        client: &mut Client<'_>,
        phone: &str,
        id: i64,
        version: i64,
    ) -> serde_json::Value {
        // A new code may be asked for a minute after the last one.
        self.clock.advance(std::time::Duration::from_secs(61));
        let answer = client
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/signing-code"),
                serde_json::Value::Null,
            )
            .await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
        let code = self.sms_code(phone).await;
        let answer = client
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/submission"),
                serde_json::json!({"version": version, "code": code}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.json()
    }

    /// The newest SMS code delivered to `phone` (delivering what is due first).
    pub async fn sms_code(&self, phone: &str) -> String {
        self.run_jobs().await;
        let text = self
            .sms
            .delivered_to(phone)
            .last()
            .map(|m| m.text.clone())
            .unwrap_or_else(|| panic!("no SMS to {phone}"));
        text.chars()
            .collect::<Vec<_>>()
            .windows(6)
            .find(|w| w.iter().all(char::is_ascii_digit))
            .map(|w| w.iter().collect())
            .unwrap_or_else(|| panic!("no code in {text:?}"))
    }
}

/// The value of the first input named `name` in a page (a form's `csrf`, `version`…).
pub fn input_value(page: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&needle)
        .unwrap_or_else(|| panic!("no input {name} in the page"))
        + needle.len();
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// `prefix` and a suffix no other test run has (process id and the time in nanoseconds),
/// for a database or bucket of its own.
fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}{}_{nanos}", std::process::id())
}

/// A photo-like JPEG of `width` × `height` (a gradient, so it compresses like a photo).
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("JPEG");
    out.into_inner()
}

/// A response, as a test looks at it.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

/// A client of the router: keeps cookies like a browser and the API's CSRF token.
pub struct Client<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    csrf: Option<String>,
    ip: SocketAddr,
}

impl Client<'_> {
    /// Sends `request` with this client's address and cookies, and keeps the cookies set.
    async fn respond(&mut self, mut request: Request<Body>) -> axum::response::Response {
        request.extensions_mut().insert(ConnectInfo(self.ip));
        if !self.cookies.is_empty() {
            let cookie: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.join("; ").parse().unwrap());
        }
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.into(), value.into());
                }
            }
        }
        response
    }

    async fn send(&mut self, request: Request<Body>) -> Answer {
        let response = self.respond(request).await;
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Answer {
            status: parts.status,
            headers: parts.headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A JSON API call (with the session's CSRF token once one is known).
    pub async fn call(&mut self, method: &str, path: &str, body: serde_json::Value) -> Answer {
        self.call_with(method, path, body, &[]).await
    }

    /// [`Client::call`] with extra request headers (`Origin`, `Sec-Fetch-Site`…).
    pub async fn call_with(
        &mut self,
        method: &str,
        path: &str,
        body: serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.csrf {
            request = request.header("x-csrf-token", token);
        }
        let answer = self
            .send(request.body(Body::from(body.to_string())).unwrap())
            .await;
        if let Some(token) = serde_json::from_str::<serde_json::Value>(&answer.text)
            .ok()
            .and_then(|v| v["csrf_token"].as_str().map(str::to_string))
        {
            self.csrf = Some(token);
        }
        answer
    }

    /// A `multipart/form-data` upload of `bytes` as the field `file` (API: the CSRF token
    /// goes in its header).
    pub async fn upload(&mut self, path: &str, bytes: &[u8]) -> Answer {
        self.upload_with(path, &[], bytes).await
    }

    /// [`Client::upload`] with text fields before the file (a voucher's remitter and date).
    pub async fn upload_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        bytes: &[u8],
    ) -> Answer {
        let boundary = "certhall-test-boundary-7d1e";
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"
        ));
        let mut body = body.into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut request = Request::builder().method("POST").uri(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(token) = &self.csrf {
            request = request.header("x-csrf-token", token);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// A page's upload form as a browser posts it: `csrf`, then the image as `file`.
    pub async fn upload_form(&mut self, path: &str, csrf: &str, bytes: &[u8]) -> Answer {
        let boundary = "certhall-test-boundary-7d1e";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// A GET whose body is bytes (a PDF, an image): the status and the bytes.
    pub async fn bytes(&mut self, path: &str) -> (StatusCode, Vec<u8>) {
        let request = Request::builder().uri(path).body(Body::empty()).unwrap();
        let response = self.respond(request).await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }

    /// A page form posted as a browser posts it (`application/x-www-form-urlencoded`).
    pub async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_html_form::to_string(fields).expect("form fields");
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The value of a cookie this client holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    /// Sets a cookie as an attacker who can plant one would.
    pub fn plant_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.into(), value.into());
    }

    /// A page.
    pub async fn page(&mut self, path: &str) -> Answer {
        let request = Request::builder().uri(path).body(Body::empty()).unwrap();
        self.send(request).await
    }
}
