//! `certhall bench flood`: what a stranger without an account can make the server spend.
//! A scratch server (this binary's `serve`, its own data directory, 127.0.0.1) receives N
//! requests at once, half registrations without a valid code and half logins of numbers
//! that have no account (each of those checks a dummy argon2 hash), every one from its own
//! address (`X-Forwarded-For` from a trusted proxy), so no per-address limit helps. It
//! prints the server's peak memory, the answers, and how long a real customer's login
//! takes before and during the flood. Figures only: nothing is asserted.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::bench::proc_status_kib;

/// The scratch server, stopped when dropped.
struct Server {
    child: Child,
    address: String,
    data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Result<Server> {
        let data = tempfile::tempdir().context("scratch directory")?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--data-dir")
            .arg(data.path())
            .args(["--trusted-proxies", "127.0.0.1/32", "--log-format", "json"])
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("CERTHALL_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the scratch server")?;
        let stderr = child.stderr.take().context("server stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let address = loop {
            let Some(line) = lines.next() else {
                bail!("the scratch server exited before listening");
            };
            if let Some(rest) = line?.split("listening on http://").nth(1) {
                break rest.trim().to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server {
            child,
            address,
            data,
        })
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// One HTTP/1.1 request; the status (0 when the connection failed).
    async fn post(&self, path: &str, from: &str, body: &serde_json::Value) -> u16 {
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-Forwarded-For: {from}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        );
        let Ok(mut stream) = tokio::net::TcpStream::connect(&self.address).await else {
            return 0;
        };
        if stream.write_all(request.as_bytes()).await.is_err() {
            return 0;
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer)
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The newest code the file SMS provider delivered to `phone`.
    async fn sms_code(&self, phone: &str) -> Result<String> {
        let file = self.data.path().join("outbox").join("sms.jsonl");
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&file) {
                let code = text
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .filter(|m| m["to"] == phone)
                    .filter_map(|m| m["text"].as_str().map(str::to_string))
                    .next_back()
                    .and_then(|t| {
                        let digits: Vec<char> = t.chars().collect();
                        digits
                            .windows(6)
                            .find(|w| w.iter().all(char::is_ascii_digit))
                            .map(|w| w.iter().collect::<String>())
                    });
                if let Some(code) = code {
                    return Ok(code);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no SMS code for {phone}")
    }
}

/// The median of `samples`, in milliseconds.
fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples
        .get(samples.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub async fn run(requests: usize) -> Result<()> {
    let server = Server::start()?;
    let customer = "13800138000";
    let status = server
        .post(
            "/api/v1/sms-codes",
            "10.255.0.1",
            &serde_json::json!({"phone": customer, "purpose": "register"}),
        )
        .await;
    if status != 202 {
        bail!("asking for a registration code answered {status}");
    }
    let code = server.sms_code(customer).await?;
    let body = serde_json::json!({"phone": customer, "code": code, "password": "goodpass123", "agree": true});
    let status = server.post("/api/v1/accounts", "10.255.0.1", &body).await;
    if status != 201 {
        bail!("registering answered {status}");
    }
    let login = serde_json::json!({"phone": customer, "password": "goodpass123"});
    let timed_login = |from: String| {
        let server = &server;
        let login = &login;
        async move {
            let started = Instant::now();
            let status = server.post("/api/v1/sessions", &from, login).await;
            (status, started.elapsed())
        }
    };
    let mut known = Vec::new();
    for i in 0..15 {
        known.push(timed_login(format!("10.254.0.{i}")).await.1);
    }
    // A wrong password for the account against one for a number without an account: what
    // a stranger timing the answers compares (four each, under the account's limit of 5).
    let (mut wrong_known, mut wrong_unknown) = (Vec::new(), Vec::new());
    for i in 0..4 {
        for (phone, samples) in [
            (customer.to_string(), &mut wrong_known),
            (format!("1390000{i:04}"), &mut wrong_unknown),
        ] {
            let body = serde_json::json!({"phone": phone, "password": "wrongpass1"});
            let started = Instant::now();
            server
                .post("/api/v1/sessions", &format!("10.253.{i}.1"), &body)
                .await;
            samples.push(started.elapsed());
        }
    }
    let status = timed_login("10.254.1.1".into()).await.0;
    if status != 200 {
        bail!("the customer's login answered {status} after the timing probes");
    }
    let before_kib = proc_status_kib(&server.pid(), "VmRSS").unwrap_or(0);
    let peak_before_kib = proc_status_kib(&server.pid(), "VmHWM").unwrap_or(0);
    println!(
        "a wrong password, median of 4: existing account {:.1} ms, no such account {:.1} ms (the same argon2 work); a right one, median of 15: {:.1} ms",
        median_ms(wrong_known),
        median_ms(wrong_unknown),
        median_ms(known.clone())
    );

    let started = Instant::now();
    let flood = (0..requests).map(|i| {
        let server = &server;
        async move {
            let from = format!("10.{}.{}.{}", 1 + i / 65_536, (i / 256) % 256, i % 256);
            let phone = format!("137{i:08}");
            if i % 2 == 0 {
                let body = serde_json::json!({"phone": phone, "code": "123456", "password": "goodpass123", "agree": true});
                ("register", server.post("/api/v1/accounts", &from, &body).await)
            } else {
                let body = serde_json::json!({"phone": phone, "password": "wrongpass1"});
                ("login", server.post("/api/v1/sessions", &from, &body).await)
            }
        }
    });
    let during = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut samples = Vec::new();
        for i in 0..5 {
            let (status, took) = timed_login(format!("10.252.0.{i}")).await;
            samples.push((status, took));
        }
        samples
    };
    let (answers, during) = tokio::join!(futures_util::future::join_all(flood), during);
    let elapsed = started.elapsed();
    let mut counts: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    for answer in answers {
        *counts.entry(answer).or_default() += 1;
    }
    let peak_kib = proc_status_kib(&server.pid(), "VmHWM").unwrap_or(0);
    println!(
        "{requests} unauthenticated requests at once, each from its own address: answered in {:.2} s",
        elapsed.as_secs_f64()
    );
    for ((kind, status), n) in &counts {
        println!("  {kind:<8} {status:>3} × {n}");
    }
    let during_ok: Vec<Duration> = during
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, d)| *d)
        .collect();
    println!(
        "a real login during the flood: {} of {} succeeded, median {:.1} ms (before: {:.1} ms)",
        during_ok.len(),
        during.len(),
        median_ms(during_ok),
        median_ms(known)
    );
    println!(
        "server memory: {} MiB before the flood (peak so far {} MiB), peak {} MiB",
        before_kib / 1024,
        peak_before_kib / 1024,
        peak_kib / 1024
    );
    Ok(())
}
