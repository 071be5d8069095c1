//! The CertHall server, as the workstation speaks to it: the console login (a session
//! cookie and its CSRF token), then `/api/v1/console/production`'s calls.

use anyhow::{Context, bail};
use base64::Engine;
use domain::production::Step;
use serde_json::json;
use token::InsertedKey;
use zeroize::Zeroizing;

const CONSOLE_COOKIE: &str = "certhall_console";

/// Which application a job is for.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// The production queue's next.
    Queue,
    /// This one.
    Application(i64),
    /// The queue's next among this order's applications.
    Order(i64),
}

/// The server's refusal, with its code (`order_done`, `key_not_in_stock`…).
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server refused ({}): {} {}",
            self.status, self.code, self.message
        )
    }
}

impl std::error::Error for Refused {}

/// A producer's session with the server.
pub struct Server {
    base: String,
    client: reqwest::Client,
    cookie: Zeroizing<String>,
    csrf: Zeroizing<String>,
}

/// A started job: what the key needs (the PINs are the server's, given once).
pub struct Started {
    pub job: i64,
    pub application_number: String,
    pub holder: String,
    pub family: String,
    pub label: String,
    pub so_pin: Zeroizing<String>,
    /// The SO PIN the key holds now, when CertHall initialised it before.
    pub current_so_pin: Option<Zeroizing<String>>,
    pub user_pin: Zeroizing<String>,
    /// Where the user PIN goes (`envelope_with_key`: this workstation prints it).
    pub pin_delivery: String,
    pub challenge: Vec<u8>,
}

/// An issued certificate.
pub struct Issued {
    pub serial: String,
    pub der: Vec<u8>,
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

impl Server {
    /// Logs in to the console as `user`.
    pub async fn login(base: &str, user: &str, password: &str) -> anyhow::Result<Server> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let base = base.trim_end_matches('/').to_string();
        let answer = client
            .post(format!("{base}/api/v1/console/session"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .context("reaching the server")?;
        let status = answer.status();
        let cookie = answer
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .filter(|pair| pair.starts_with(&format!("{CONSOLE_COOKIE}=")))
                    .map(str::to_string)
            });
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("login refused ({status}): {}", body["error"]["message"]);
        }
        let cookie = cookie.context("the server set no console session")?;
        let csrf = body["csrf_token"]
            .as_str()
            .context("the server gave no CSRF token")?
            .to_string();
        Ok(Server {
            base,
            client,
            cookie: Zeroizing::new(cookie),
            csrf: Zeroizing::new(csrf),
        })
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let answer = self
            .client
            .post(format!("{}/api/v1/console/production{path}", self.base))
            .header(reqwest::header::COOKIE, self.cookie.as_str())
            .header("x-csrf-token", self.csrf.as_str())
            .json(&body)
            .send()
            .await
            .with_context(|| format!("reaching the server ({path})"))?;
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if !status.is_success() {
            return Err(Refused {
                status: status.as_u16(),
                code: json["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                message: json["error"]["message"]
                    .as_str()
                    .unwrap_or(&text)
                    .to_string(),
            }
            .into());
        }
        Ok(json)
    }

    /// Starts a job on `key` for `target`'s application.
    pub async fn start(
        &self,
        target: Target,
        key: &InsertedKey,
        workstation: &str,
    ) -> anyhow::Result<Started> {
        let mut body = json!({
            "key": {"vendor": key.vendor, "model": key.model, "serial": key.serial},
            "workstation": workstation,
        });
        match target {
            Target::Application(id) => body["application"] = json!(id),
            Target::Order(id) => body["order"] = json!(id),
            Target::Queue => {}
        }
        let json = self.post("/jobs", body).await?;
        let text = |name: &str| json[name].as_str().unwrap_or_default().to_string();
        Ok(Started {
            job: json["job"].as_i64().context("no job in the answer")?,
            application_number: text("application_number"),
            holder: text("holder"),
            family: text("family"),
            label: text("label"),
            so_pin: Zeroizing::new(text("so_pin")),
            current_so_pin: json["current_so_pin"]
                .as_str()
                .map(|pin| Zeroizing::new(pin.to_string())),
            user_pin: Zeroizing::new(text("user_pin")),
            pin_delivery: text("pin_delivery"),
            challenge: base64::engine::general_purpose::STANDARD
                .decode(text("challenge"))
                .context("a bad challenge")?,
        })
    }

    /// The certificate of job `job` for `csr` (DER).
    pub async fn issue(&self, job: i64, csr: &[u8]) -> anyhow::Result<Issued> {
        let json = self
            .post(
                &format!("/jobs/{job}/csr"),
                json!({"csr": pem("CERTIFICATE REQUEST", csr)}),
            )
            .await?;
        let der = pki::certificate::from_pem(
            json["certificate"].as_str().unwrap_or_default().as_bytes(),
        )?;
        Ok(Issued {
            serial: json["serial"].as_str().unwrap_or_default().to_string(),
            der,
        })
    }

    /// Job `job` is done: the certificate read back, and the challenge signed.
    pub async fn finish(
        &self,
        job: i64,
        certificate: &[u8],
        algorithm: &str,
        signature: &[u8],
    ) -> anyhow::Result<()> {
        self.post(
            &format!("/jobs/{job}/finish"),
            json!({
                "certificate": pem("CERTIFICATE", certificate),
                "algorithm": algorithm,
                "signature": base64::engine::general_purpose::STANDARD.encode(signature),
            }),
        )
        .await?;
        Ok(())
    }

    /// Job `job` failed at `step`.
    pub async fn fail(
        &self,
        job: i64,
        step: Step,
        message: &str,
        key_damaged: bool,
    ) -> anyhow::Result<()> {
        let message: String = message.chars().take(480).collect();
        self.post(
            &format!("/jobs/{job}/fail"),
            json!({"step": step.as_str(), "message": message, "key_damaged": key_damaged}),
        )
        .await?;
        Ok(())
    }
}
