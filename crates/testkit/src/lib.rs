//! What CertHall's test suites share to check their output with outside tools: the test
//! venv's Python tools, made by `scripts/test.sh` (pkilint, asn1crypto, gmssl), and
//! [`pkilint`], the one way a test lints a certificate, CRL or OCSP response.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Python of the test venv (pkilint, asn1crypto, gmssl), made by scripts/test.sh.
pub fn python_tool(tool: &str) -> PathBuf {
    let venv = std::env::var("CERTHALL_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/certhall-venv")
        });
    let path = venv.join("bin").join(tool);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh, which makes the venv",
        path.display()
    );
    path
}

/// The pkilint findings docs/PROFILES.md lists and explains; any other fails a test.
pub const DOCUMENTED_PKILINT_FINDINGS: &[&str] =
    &["INFO pkix.subject_key_identifier_method_1_identified"];

/// Runs a pkilint linter (JSON output, every severity). Asserts that its validators ran
/// and that every finding is one docs/PROFILES.md explains (so never an ERROR); returns
/// the findings.
pub fn pkilint(tool: &str, extra: &[&str], file: &Path) -> Vec<String> {
    let out = Command::new(python_tool(tool))
        .arg("lint")
        .args(extra)
        .args(["-s", "ALL", "-f", "JSON", file.to_str().unwrap()])
        .output()
        .expect("pkilint");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "pkilint {tool} could not lint {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results = report["results"].as_array().expect("pkilint results");
    assert!(
        results.len() > 5,
        "pkilint {tool} ran almost no validators on {}",
        file.display()
    );
    let mut findings = Vec::new();
    for result in results {
        for finding in result["finding_descriptions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let severity = finding["severity"].as_str().unwrap_or("?");
            let code = finding["code"].as_str().unwrap_or("?");
            let finding_id = format!("{severity} {code}");
            assert!(
                DOCUMENTED_PKILINT_FINDINGS.contains(&finding_id.as_str()),
                "pkilint {tool} on {}: {severity} {code} at {} ({})",
                file.display(),
                result["node_path"],
                finding["message"]
            );
            findings.push(finding_id);
        }
    }
    findings
}
