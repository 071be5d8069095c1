//! SoftHSM2, the software token the tests (and demos) use as a USB key or as an HSM: a
//! configuration of one's own under a directory, and tokens initialised in it as a vendor
//! ships them (with `softhsm2-util`, Debian's package `softhsm2`).

use std::io;
use std::path::{Path, PathBuf};

/// Where Debian installs SoftHSM2's PKCS#11 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 configuration under `dir`, with its own token directory; its path, for
/// `SOFTHSM2_CONF`.
pub fn configure(dir: &Path) -> io::Result<PathBuf> {
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens)?;
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )?;
    Ok(conf)
}

/// Initialises a token in the next free slot of configuration `conf`, labelled `label`,
/// with security-officer PIN `so_pin` and user PIN `user_pin`.
pub fn init_token(conf: &Path, label: &str, so_pin: &str, user_pin: &str) -> io::Result<()> {
    let out = std::process::Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", conf)
        .args(["--init-token", "--free", "--label", label])
        .args(["--so-pin", so_pin, "--pin", user_pin])
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "softhsm2-util: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}
