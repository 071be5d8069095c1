//! `certhall paysim`: the payment simulator as a process (Alipay's gateway and WeChat Pay's
//! APIv3), for demos and the browser tests.

use std::path::Path;

use anyhow::{Context, Result};

/// The app id the simulator knows the demo merchant by.
const APP_ID: &str = "2021000000000001";
/// The WeChat Pay merchant the simulator knows, and its API certificate's serial.
const MCHID: &str = "1900000001";
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

pub async fn run(port: u16, time_scale: f64, dir: &Path) -> Result<()> {
    if !(time_scale >= 1.0 && time_scale.is_finite()) {
        anyhow::bail!("--time-scale: 1 or more");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let sim = paysim::Simulator::start(port, time_scale)
        .await
        .context("starting the simulator")?;
    let merchant_key = dir.join("alipay-merchant-key.pem");
    let alipay_key = dir.join("alipay-public-key.pem");
    write_private(&merchant_key, &sim.new_merchant(APP_ID)?)?;
    std::fs::write(&alipay_key, sim.alipay_public_key_pem())
        .with_context(|| format!("writing {}", alipay_key.display()))?;
    let wechat_key = dir.join("wechat-merchant-key.pem");
    let wechat_public = dir.join("wechat-public-key.pem");
    let wechat_apiv3 = dir.join("wechat-apiv3-key");
    write_private(&wechat_key, &sim.new_wechat_merchant(MCHID, SERIAL)?)?;
    let (public_pem, public_id, apiv3) = sim.wechat_keys();
    std::fs::write(&wechat_public, public_pem)
        .with_context(|| format!("writing {}", wechat_public.display()))?;
    write_private(&wechat_apiv3, &apiv3)?;
    println!(
        "{}",
        serde_json::json!({
            "base_url": sim.base_url(),
            "alipay_gateway": sim.alipay_gateway(),
            "alipay_app_id": APP_ID,
            "alipay_private_key_file": merchant_key,
            "alipay_public_key_file": alipay_key,
            "wechat_base_url": sim.base_url(),
            "wechat_mchid": MCHID,
            "wechat_appid": "wx0000000000000001",
            "wechat_merchant_serial": SERIAL,
            "wechat_private_key_file": wechat_key,
            "wechat_public_key_file": wechat_public,
            "wechat_public_key_id": public_id,
            "wechat_apiv3_key_file": wechat_apiv3,
        })
    );
    tokio::signal::ctrl_c().await.ok();
    Ok(())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
