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

/// Runs `work` for `seconds`; (runs, mean milliseconds).
fn timed(seconds: f64, mut work: impl FnMut() -> Result<()>) -> Result<(u64, f64)> {
    let window = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < window || n == 0 {
        work()?;
        n += 1;
    }
    Ok((n, started.elapsed().as_secs_f64() * 1000.0 / n as f64))
}

/// Image intake and PDF rendering, on one thread (uploads decode two at a time).
pub fn documents(global: &GlobalArgs, seconds: f64) -> Result<()> {
    use services::documents::{image as intake, pdf};
    let limit = 2 * 1024 * 1024;
    // A photo-like JPEG (noise compresses like a camera's), and a scanned-page PNG.
    let photo = {
        let mut state = 0x2545_f491u32;
        let picture = image::RgbImage::from_fn(2400, 1800, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state & 0x1f) as u8;
            image::Rgb([
                ((x / 8) % 200) as u8 + noise,
                ((y / 8) % 200) as u8 + noise,
                90 + noise,
            ])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut out, image::ImageFormat::Jpeg)?;
        out.into_inner()
    };
    let scan = {
        let picture = image::GrayImage::from_fn(1240, 1754, |x, y| {
            image::Luma([if (x / 40 + y / 24) % 7 == 0 { 30 } else { 250 }])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut out, image::ImageFormat::Png)?;
        out.into_inner()
    };
    println!("document intake and PDFs ({seconds} s per figure, one thread)");
    println!("{:<52} {:>8} {:>10}", "what", "runs", "ms each");
    for (label, bytes) in [
        (
            format!("JPEG 2400×1800, {} KiB: take in", photo.len() / 1024),
            &photo,
        ),
        (
            format!(
                "PNG 1240×1754 (A4 scan at 150 dpi), {} KiB: take in",
                scan.len() / 1024
            ),
            &scan,
        ),
    ] {
        anyhow::ensure!(bytes.len() <= limit, "{label}: over the upload limit");
        let (n, ms) = timed(seconds, || {
            intake::ingest(bytes, limit)
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"))
        })?;
        println!("{label:<52} {n:>8} {ms:>10.1}");
    }
    let mut settings = pdf::FontSettings::default();
    if let Some(path) = &global.pdf_font {
        settings.path = path.clone();
    }
    settings.index = global.pdf_font_index;
    let started = Instant::now();
    let font = pdf::PdfFont::load(&settings).map_err(anyhow::Error::msg)?;
    println!(
        "{:<52} {:>8} {:>10.1}",
        format!("font load ({})", settings.path.display()),
        1,
        started.elapsed().as_secs_f64() * 1000.0
    );
    let sheet = || {
        pdf::Sheet {
        title: "实名认证申请授权书".into(),
        number: "SQ20261202000001".into(),
        rows: vec![
            ("单位名称".into(), "北京环保科技有限公司".into()),
            ("统一社会信用代码".into(), "91350100M000100Y43".into()),
            ("经办人姓名".into(), "张三".into()),
            ("经办人身份证号码".into(), "11010519491231002X".into()),
            ("业务渠道".into(), "环境标志产品政府采购清单信息系统 USBKEY".into()),
        ],
        paragraphs: vec!["兹授权上述经办人代表本单位办理数字证书申请、实名认证及相关业务。经办人所提交的信息和资料真实、准确、完整。".into()],
        seal: Some("（加盖单位公章）".into()),
        date: "2026年12月02日".into(),
        check_code: "BV5S-7G9A".into(),
        footer: "CertHall 数字证书服务中心".into(),
    }
    };
    let mut size = 0;
    let (n, ms) = timed(seconds, || {
        size = pdf::render(&font, &sheet())
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len();
        Ok(())
    })?;
    println!(
        "{:<52} {n:>8} {ms:>10.1}",
        format!("authorisation letter PDF, {} KiB", size / 1024)
    );
    Ok(())
}

/// A size field (`VmHWM`, `VmRSS`) of a process's /proc status (this one's: `self`), in KiB.
pub(super) fn proc_status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn peak_rss_kib() -> Option<u64> {
    proc_status_kib("self", "VmHWM")
}

fn current_rss_kib() -> Option<u64> {
    proc_status_kib("self", "VmRSS")
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
