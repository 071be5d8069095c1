//! The public certificate status look-up (证书状态查询) for relying systems and people: by
//! serial, `good`, `revoked` (with its time and reason) or `unknown`, like an OCSP answer
//! but in JSON and on a page. It says nothing of the holder: a serial is printed on forms
//! and a status must not become a directory of names and ID numbers.
//!
//! Anyone may ask, so it is rationed per client address ([`Ration`]): a relying system
//! that checks often should use OCSP, which is signed, cached and not rationed.

use std::collections::HashMap;
use std::sync::Mutex;

use pki::RevocationReason;
use pki::serial::Serial;

use crate::{App, ErrorKind, ServiceError};

/// Where a certificate stands, as anyone may know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicState {
    /// Issued here and not revoked (it may still have expired: see `not_after`).
    Good,
    /// Revoked (or held: reason certificateHold) at `at`.
    Revoked { at: i64, reason: RevocationReason },
    /// Not issued here.
    Unknown,
}

impl PublicState {
    pub fn as_str(&self) -> &'static str {
        match self {
            PublicState::Good => "good",
            PublicState::Revoked { .. } => "revoked",
            PublicState::Unknown => "unknown",
        }
    }
}

/// The answer of a look-up.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    /// Canonical hexadecimal (lower case, no colons).
    pub serial: String,
    pub state: PublicState,
    /// The issuing CA's name and the validity, when the certificate is ours.
    pub ca: Option<String>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// When it was answered (the application's clock).
    pub checked_at: i64,
}

impl PublicStatus {
    /// Past its validity at the time of the answer.
    pub fn expired(&self) -> bool {
        self.not_after.is_some_and(|end| end < self.checked_at)
    }
}

/// Look-ups per client address and minute, counted in fixed windows on the application's
/// clock. Kept in memory: a public read must not take the database's write lock, and a
/// limit per process is enough to stop scraping (each process of an installation allows
/// its own share).
pub struct Ration {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

/// Addresses remembered before the stale windows are swept out.
const SWEEP_AT: usize = 10_000;

impl Ration {
    pub fn new(per_minute: u32) -> Ration {
        Ration {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one look-up from `client` at `now`, or refuses, saying how long to wait.
    fn admit(&self, client: &str, now: i64) -> Result<(), ServiceError> {
        let minute = now - now.rem_euclid(60);
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| ServiceError::internal("ration", "poisoned"))?;
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| *start == minute);
        }
        let (start, count) = windows.entry(client.to_string()).or_insert((minute, 0));
        if *start != minute {
            (*start, *count) = (minute, 0);
        }
        if *count >= self.per_minute {
            return Err(ServiceError::rate_limited(
                "lookup_limit",
                "serial",
                minute + 60 - now,
                "too many status look-ups from your address; relying systems should use OCSP",
                "查询过于频繁（系统对接请使用 OCSP）",
            ));
        }
        *count += 1;
        Ok(())
    }
}

/// The status of the certificate with `serial` (hexadecimal, colons and spaces allowed),
/// asked by the client at `client`.
pub async fn look_up(app: &App, client: &str, serial: &str) -> Result<PublicStatus, ServiceError> {
    let engine = app.ca().await?;
    let now = app.now().seconds();
    engine.lookups.admit(client, now)?;
    let cleaned: String = serial
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let canonical = match Serial::from_hex(&cleaned) {
        Ok(serial) if !cleaned.is_empty() => serial.to_hex(),
        _ => {
            return Err(ServiceError::new(
                ErrorKind::Invalid,
                "invalid_serial",
                "a serial number is hexadecimal digits (0-9, a-f), as printed on the certificate",
                "证书序列号应为十六进制数字（0-9、a-f），与证书上的一致",
            )
            .with_field("serial"));
        }
    };
    let record = store::certificates::find_by_serial(&app.store, &canonical).await?;
    let Some(record) = record else {
        return Ok(PublicStatus {
            serial: canonical,
            state: PublicState::Unknown,
            ca: None,
            not_before: None,
            not_after: None,
            checked_at: now,
        });
    };
    let state = match (record.revoked_at, record.reason) {
        (Some(at), Some(code)) => PublicState::Revoked {
            at,
            reason: u8::try_from(code)
                .ok()
                .and_then(RevocationReason::from_code)
                .unwrap_or(RevocationReason::Unspecified),
        },
        _ => PublicState::Good,
    };
    Ok(PublicStatus {
        serial: record.serial,
        state,
        ca: engine
            .registry
            .by_id(record.ca_id)
            .map(|ca| ca.name.clone()),
        not_before: Some(record.not_before),
        not_after: Some(record.not_after),
        checked_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::Ration;

    #[test]
    fn a_ration_refuses_past_its_limit_until_the_next_minute() {
        let ration = Ration::new(3);
        for _ in 0..3 {
            ration.admit("192.0.2.1", 1_000_020).unwrap();
        }
        let refused = ration.admit("192.0.2.1", 1_000_030).unwrap_err();
        assert_eq!(refused.code, "lookup_limit");
        // 1_000_020 starts a minute (16,667 × 60): the next starts 50 s after the refusal.
        assert_eq!(refused.retry_after_seconds, Some(50));
        // Another address has its own share.
        ration.admit("192.0.2.2", 1_000_030).unwrap();
        ration.admit("192.0.2.1", 1_000_020 + 60).unwrap();
    }
}
