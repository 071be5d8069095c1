//! Test harness: runs the real `certhall` binary (CLI and server) against a fresh data
//! directory, and the real OpenSSL, pkilint and the independent SM2 verifier against what
//! it produces. Servers bind 127.0.0.1 on a port the OS picks and are killed on drop.
#![allow(dead_code)]

// Each test binary uses part of the harness.
#[allow(unused_imports)]
pub use certhall_testkit::{pkilint, python_tool};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const SM2_ID: &str = "distid:1234567812345678";
pub const USCC: &str = "91350100M000100Y43";

/// One CertHall installation: a data directory and, optionally, a PostgreSQL database.
pub struct Instance {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
    pub extra_env: Vec<(String, String)>,
}

impl Instance {
    /// SQLite in a temporary directory.
    pub fn sqlite() -> Self {
        Instance {
            dir: tempfile::tempdir().expect("temp dir"),
            database_url: None,
            extra_env: Vec::new(),
        }
    }

    /// A fresh PostgreSQL database on the server of CERTHALL_TEST_POSTGRES_URL (the test
    /// script starts one). Panics when it is not set: these tests must run, not skip.
    pub fn postgres() -> Self {
        let admin = std::env::var("CERTHALL_TEST_POSTGRES_URL").expect(
            "CERTHALL_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh, which starts PostgreSQL",
        );
        let name = format!("certhall_test_{}", hex_id());
        let status = Command::new("psql")
            .args([&admin, "-q", "-c", &format!("CREATE DATABASE {name}")])
            .status()
            .expect("psql");
        assert!(status.success(), "creating database {name}");
        let base = admin.rsplit_once('/').expect("URL with a database").0;
        let mut instance = Instance::sqlite();
        instance.database_url = Some(format!("{base}/{name}"));
        instance
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_certhall"));
        cmd.env("CERTHALL_DATA_DIR", self.dir.path().join("data"))
            .env("CERTHALL_LOG", "warn")
            .env_remove("CERTHALL_DATABASE_URL")
            .current_dir(self.dir.path());
        if let Some(url) = &self.database_url {
            cmd.env("CERTHALL_DATABASE_URL", url);
        }
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a CLI command; returns its output whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run certhall")
    }

    /// Runs a CLI command that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "certhall {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Writes a CA's certificate as PEM into the test directory; returns the path.
    pub fn ca_cert(&self, ca: &str) -> PathBuf {
        let path = self.path(&format!("{ca}.pem"));
        if !path.exists() {
            std::fs::write(&path, self.ok(&["ca", "cert", "--ca", ca])).expect("write CA cert");
        }
        path
    }

    /// The family's root and issuing CA certificates in one PEM file (a trust store).
    pub fn chain(&self, family: &str) -> PathBuf {
        let path = self.path(&format!("{family}-chain.pem"));
        let root = std::fs::read_to_string(self.ca_cert(&format!("{family}-root"))).unwrap();
        let ca = std::fs::read_to_string(self.ca_cert(&format!("{family}-ca"))).unwrap();
        std::fs::write(&path, root + &ca).unwrap();
        path
    }

    /// Issues from a new CSR of the CA's family; returns the certificate path and serial.
    pub fn issue(&self, ca: &str, profile: &str, subject: &str) -> (PathBuf, String) {
        let family = ca.split('-').next().expect("family prefix");
        let csr = make_csr(self.dir.path(), family, subject);
        let pem = self.ok(&[
            "ca",
            "issue",
            "--ca",
            ca,
            "--profile",
            profile,
            "--csr",
            csr.to_str().unwrap(),
        ]);
        let path = csr.with_extension("pem");
        std::fs::write(&path, &pem).expect("write certificate");
        let serial = openssl(&["x509", "-in", path.to_str().unwrap(), "-noout", "-serial"])
            .trim()
            .trim_start_matches("serial=")
            .to_ascii_lowercase();
        (path, serial)
    }

    /// Starts `certhall serve` on a free port.
    pub fn serve(&self) -> Server {
        let mut child = self
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn certhall serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = String::new();
        let port = loop {
            assert!(Instant::now() < deadline, "server did not start:\n{seen}");
            let Some(Ok(line)) = lines.next() else {
                panic!("server exited before listening:\n{seen}");
            };
            if let Some(addr) = line.strip_prefix("CertHall listening on http://") {
                seen.push_str(&line);
                seen.push('\n');
                break addr
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse::<u16>()
                    .expect("port");
            }
            seen.push_str(&line);
            seen.push('\n');
        };
        // Keep draining stderr (so the server never blocks on a full pipe) into `log`.
        let log = std::sync::Arc::new(std::sync::Mutex::new(seen));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Server { child, port, log }
    }
}

pub struct Server {
    child: Child,
    pub port: u16,
    /// Everything the server wrote to stderr so far.
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn hex_id() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// Runs openssl; panics with its output on failure; returns stdout.
pub fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Makes a key and a CSR with OpenSSL. `family` is sm2, rsa or ecdsa; `subject` is in
/// OpenSSL's /C=CN/O=… form (UTF-8).
pub fn make_csr(dir: &Path, family: &str, subject: &str) -> PathBuf {
    let stem = dir.join(format!("{family}-{}", hex_id()));
    let key = stem.with_extension("key");
    let csr = stem.with_extension("csr");
    let (k, c) = (key.to_str().unwrap(), csr.to_str().unwrap());
    match family {
        "sm2" => {
            openssl(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:SM2",
                "-out",
                k,
            ]);
            openssl(&[
                "req", "-new", "-utf8", "-key", k, "-sm3", "-sigopt", SM2_ID, "-subj", subject,
                "-out", c,
            ]);
        }
        "rsa" => {
            openssl(&[
                "req", "-new", "-utf8", "-newkey", "rsa:2048", "-nodes", "-keyout", k, "-subj",
                subject, "-out", c,
            ]);
        }
        "ecdsa" => {
            openssl(&[
                "req",
                "-new",
                "-utf8",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                k,
                "-subj",
                subject,
                "-out",
                c,
            ]);
        }
        other => panic!("unknown family {other}"),
    }
    csr
}

/// The independent SM2 verifier (tests/tools/sm2_verify.py); asserts it accepts.
pub fn sm2_verify(kind: &str, issuer: &Path, target: &Path) {
    // The checkout the test runs in (set at run time), not the one it was compiled in.
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo or nextest");
    let script = Path::new(&crate_dir).join("../../tests/tools/sm2_verify.py");
    let out = Command::new(python_tool("python"))
        .arg(script)
        .args([kind, issuer.to_str().unwrap(), target.to_str().unwrap()])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "SM2 verification of {} failed:\n{}{}",
        target.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A plain HTTP/1.1 request over a TCP socket (no client library needed); returns status,
/// headers (lower-case names) and body.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// Polls `check` until it returns Some, for up to `seconds`.
pub fn eventually<T>(seconds: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {seconds} s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// An RFC 6960 GET URL on `server` for `cert` of the family's issuing CA (no nonce).
pub fn ocsp_get_url(instance: &Instance, server: &Server, family: &str, cert: &Path) -> String {
    let req = instance.path(&format!("get-{}.der", hex_id()));
    openssl(&[
        "ocsp",
        "-issuer",
        instance.ca_cert(&format!("{family}-ca")).to_str().unwrap(),
        "-cert",
        cert.to_str().unwrap(),
        "-no_nonce",
        "-reqout",
        req.to_str().unwrap(),
    ]);
    let encoded: String = base64_encode(&std::fs::read(&req).unwrap())
        .chars()
        .map(|c| match c {
            '+' => "%2B".into(),
            '/' => "%2F".into(),
            '=' => "%3D".into(),
            c => c.to_string(),
        })
        .collect();
    server.url(&format!("/ocsp/{encoded}"))
}

pub fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub struct Client<'a> {
    server: &'a Server,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    /// The session cookie's name: certhall_session (customers) or certhall_console.
    pub cookie_name: &'static str,
}

impl<'a> Client<'a> {
    pub fn new(server: &'a Server) -> Self {
        Client {
            server,
            cookie: None,
            csrf: None,
            cookie_name: "certhall_session",
        }
    }

    pub fn call(
        &mut self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, Vec<(String, String)>, serde_json::Value) {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let mut headers = vec![("content-type", "application/json".to_string())];
        if let Some(c) = &self.cookie {
            headers.push(("cookie", format!("{}={c}", self.cookie_name)));
        }
        if let Some(t) = &self.csrf {
            headers.push(("x-csrf-token", t.clone()));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, response_headers, raw) = http(method, &self.server.url(path), &headers, &body);
        if let Some(set) = header(&response_headers, "set-cookie") {
            let value = set
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            self.cookie = (!value.is_empty()).then_some(value);
        }
        let value = if raw.is_empty() {
            serde_json::Value::Null
        } else {
            json(&raw)
        };
        if let Some(t) = value.get("csrf_token").and_then(|t| t.as_str()) {
            self.csrf = Some(t.to_string());
        }
        (status, response_headers, value)
    }
}

/// The newest code sent to `phone` for `template`, from data/outbox/sms.jsonl.
pub fn code_for(
    instance: &Instance,
    phone: &str,
    template: &str,
    previous: Option<&str>,
) -> String {
    eventually(15, || {
        let text = std::fs::read_to_string(instance.path("data/outbox/sms.jsonl")).ok()?;
        let line = text
            .lines()
            .rev()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|m| m["to"] == phone && m["template"] == template)?;
        let code: String = line["text"]
            .as_str()?
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(6)
            .collect();
        (Some(code.as_str()) != previous).then_some(code)
    })
}

/// Registers a customer through the API (code read from the outbox file); returns a
/// logged-in client.
pub fn register_customer<'a>(
    instance: &Instance,
    server: &'a Server,
    phone: &str,
    password: &str,
) -> Client<'a> {
    let mut client = Client::new(server);
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": phone, "purpose": "register"}),
    );
    assert_eq!(status, 202, "{body}");
    let code = code_for(instance, phone, "verification_code.register", None);
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": phone, "code": code, "password": password, "agree": true}),
    );
    assert_eq!(status, 201, "{body}");
    client
}
