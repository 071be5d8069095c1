//! `certhall bench`: figures for docs/PERFORMANCE.md, printed, never asserted.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use pki::software_key::RsaBits;
use pki::{KeyFamily, Signer, SoftwareKey};

use services::people::actor::Actor;

use crate::cli::GlobalArgs;

/// Signatures per second for each family, on one thread and on every core.
pub fn sign(seconds: f64) -> Result<()> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let message = vec![0x5au8; 512];
    let window = Duration::from_secs_f64(seconds);
    println!(
        "raw signatures per second over a 512-byte message ({seconds} s per figure, {cores} cores)"
    );
    println!(
        "{:<26} {:>12} {:>14}",
        "algorithm",
        "1 thread",
        format!("{cores} threads")
    );
    for family in KeyFamily::ALL {
        let key = SoftwareKey::generate(family, RsaBits::B2048)?;
        let run = |key: &SoftwareKey| -> Result<u64> {
            let started = Instant::now();
            let mut n = 0u64;
            while started.elapsed() < window {
                for _ in 0..16 {
                    key.sign(&message)?;
                }
                n += 16;
            }
            Ok(n)
        };
        let single = run(&key)? as f64 / seconds;
        let total: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..cores).map(|_| s.spawn(|| run(&key))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("bench thread").unwrap_or(0))
                .sum()
        });
        let label = match family {
            KeyFamily::Rsa => "RSA-2048 PKCS#1 v1.5 SHA-256".to_string(),
            f => f.description().to_string(),
        };
        println!(
            "{label:<26} {single:>12.0} {:>14.0}",
            total as f64 / seconds
        );
    }
    Ok(())
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn current_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CRL generation for `entries` revoked certificates, in a scratch SQLite database (or the
/// database of --database-url, which should then be a scratch one too).
pub async fn crl(global: &GlobalArgs, entries: u64, family: &str) -> Result<()> {
    let family: KeyFamily = family.parse()?;
    let scratch = tempfile::tempdir().context("scratch directory")?;
    let mut scratch_global = global.clone();
    scratch_global.data_dir = scratch.path().to_path_buf();
    scratch_global.master_key_file = None;
    let app = super::config::open(&scratch_global).await?;
    let ca = services::ca::find(&app, &format!("{family}-ca")).await?;
    let filling = Instant::now();
    services::ca::crl::fill_for_benchmark(&app, &ca.name, entries).await?;
    eprintln!(
        "inserted {entries} revoked certificates in {:.1} s",
        filling.elapsed().as_secs_f64()
    );
    // Reset the peak-RSS counter so the figure is the CRL's own peak.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = current_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let crl = services::ca::crl::publish(&app, &Actor::System, &ca.name).await?;
    let took = started.elapsed();
    let peak = peak_rss_kib().unwrap_or(0);
    let parsed = x509_cert_entries(&crl.der);
    println!(
        "CRL of {} ({}) with {} entries: {:.2} s, {:.1} MB DER, peak RSS {:.0} MB (process {:.0} MB before), parsed back {} entries",
        ca.name,
        family.description(),
        crl.entries,
        took.as_secs_f64(),
        crl.der.len() as f64 / 1e6,
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        parsed
    );
    Ok(())
}

fn x509_cert_entries(der: &[u8]) -> usize {
    use der::Decode;
    x509_cert::crl::CertificateList::from_der(der)
        .map(|c| c.tbs_cert_list.revoked_certificates.map_or(0, |r| r.len()))
        .unwrap_or(0)
}
