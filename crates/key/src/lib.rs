//! The producer's workstation (`certhall-key`): [`produce`] logs in to the CertHall server
//! as a producer, reads the inserted USB key, asks the server to start a job on it, makes
//! the key (initialised with the server's PINs, a key pair generated on it, the request
//! signed on it, the issued certificate written, read back and proven by a signature of
//! the server's challenge) and reports the end; any failure is reported with the step
//! that failed, so the server revokes what it issued and puts the key back. PINs pass
//! through and are never printed.

mod server;

use std::path::{Path, PathBuf};

use anyhow::Context;
use domain::production::Step;
use pki::name::SubjectFields;
use pki::{KeyFamily, Signer};
use token::{InsertedKey, Module};
use zeroize::Zeroizing;

pub use server::{Refused, Server, Target};

/// The environment variable that makes `produce` fail at a step, for tests of what the
/// server does then (`write_certificate`: the certificate is issued, the write fails).
pub const INJECT_FAILURE: &str = "CERTHALL_KEY_INJECT_FAILURE";

/// `certhall-key produce`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ProduceArgs {
    /// The CertHall server, e.g. https://hall.example.cn.
    #[arg(long)]
    pub server: String,
    /// The producer's console user name.
    #[arg(long)]
    pub user: String,
    /// A file holding the producer's password.
    #[arg(long)]
    pub password_file: PathBuf,
    /// The vendor's PKCS#11 module.
    #[arg(long)]
    pub module: PathBuf,
    /// The key to use (its serial number), when several are inserted.
    #[arg(long)]
    pub serial: Option<String>,
    /// The application to produce; the next of the production queue without it.
    #[arg(long)]
    pub application: Option<i64>,
    /// Every application of this order still waiting for a key, one onto each key inserted
    /// (in slot order), until the order has none left or the keys run out. With
    /// `--pin-envelope F`, each key's envelope is `F` with the key's serial before the
    /// extension.
    #[arg(long, conflicts_with = "application")]
    pub order: Option<i64>,
    /// A file holding the blank key's security-officer PIN as the vendor ships it (the
    /// transport PIN of the batch).
    #[arg(long)]
    pub transport_so_pin_file: PathBuf,
    /// Where to write the PIN envelope (the user PIN on paper, sealed and sent with the
    /// key), for channels whose PIN travels with the key. The file is made readable by its
    /// owner only; print it and delete it.
    #[arg(long)]
    pub pin_envelope: Option<PathBuf>,
    /// The workstation's name, as the console shows it.
    #[arg(long, default_value = "workstation")]
    pub workstation: String,
    /// The vendor mechanism number of SM2-with-SM3 signing on this key model (SM2 products).
    #[arg(long)]
    pub sm2_mechanism: Option<u64>,
}

/// The inserted keys, a line each.
pub fn list(module: &Path) -> anyhow::Result<Vec<String>> {
    let module = Module::load(module)?;
    Ok(module
        .keys()?
        .into_iter()
        .map(|k| {
            format!(
                "{}\t{}\t{}\t{}{}",
                k.vendor,
                k.model,
                if k.serial.is_empty() { "-" } else { &k.serial },
                k.label,
                if k.pin_locked { "\tPIN locked" } else { "" }
            )
        })
        .collect())
}

fn read_secret(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    Ok(Zeroizing::new(text.trim().to_string()))
}

/// What a produced key is, for the workstation's screen.
#[derive(Debug, Clone)]
pub struct Made {
    pub job: i64,
    pub application_number: String,
    pub holder: String,
    pub key_serial: String,
    pub certificate_serial: String,
}

impl std::fmt::Display for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "制证完成 / produced: job {} · application {} · {} · key {} · certificate {}",
            self.job,
            self.application_number,
            self.holder,
            self.key_serial,
            self.certificate_serial
        )
    }
}

/// A failed step, with what to tell the server.
struct Failed {
    step: Step,
    error: anyhow::Error,
}

fn at<E: Into<anyhow::Error>>(step: Step) -> impl FnOnce(E) -> Failed {
    move |e| Failed {
        step,
        error: e.into(),
    }
}

/// Fails at `step` when the environment asks for it (tests only).
fn injected(step: Step) -> Result<(), Failed> {
    match std::env::var(INJECT_FAILURE) {
        Ok(wanted) if wanted == step.as_str() => Err(Failed {
            step,
            error: anyhow::anyhow!("failure injected at {}", step.as_str()),
        }),
        _ => Ok(()),
    }
}

/// Produces one key: see the crate's documentation.
pub async fn produce(args: &ProduceArgs) -> anyhow::Result<Made> {
    let password = read_secret(&args.password_file)?;
    let transport = read_secret(&args.transport_so_pin_file)?;
    let module = Module::load(&args.module).context("loading the PKCS#11 module")?;
    let key = module
        .key(args.serial.as_deref())
        .context("reading the inserted key")?;
    let server = Server::login(&args.server, &args.user, &password).await?;
    let target = match (args.application, args.order) {
        (Some(id), _) => Target::Application(id),
        (None, Some(order)) => Target::Order(order),
        (None, None) => Target::Queue,
    };
    let started = server.start(target, &key, &args.workstation).await?;
    finish_key(
        &module,
        &key,
        &server,
        &started,
        &transport,
        args,
        args.pin_envelope.as_deref(),
    )
    .await
}

/// `--order`: the order's applications onto the keys inserted, one each, until the server
/// says the order has none left (`order_done`) or the keys run out. Stops at the first
/// failure (reported to the server like any), with what was made before it.
pub async fn produce_order(args: &ProduceArgs, order: i64) -> anyhow::Result<Vec<Made>> {
    let password = read_secret(&args.password_file)?;
    let transport = read_secret(&args.transport_so_pin_file)?;
    let module = Module::load(&args.module).context("loading the PKCS#11 module")?;
    let keys: Vec<InsertedKey> = module
        .keys()
        .context("reading the inserted keys")?
        .into_iter()
        .filter(|k| k.initialised && !k.serial.is_empty())
        .filter(|k| {
            args.serial
                .as_deref()
                .is_none_or(|wanted| wanted == k.serial)
        })
        .collect();
    let server = Server::login(&args.server, &args.user, &password).await?;
    let mut made = Vec::new();
    for key in &keys {
        let started = match server
            .start(Target::Order(order), key, &args.workstation)
            .await
        {
            Ok(started) => started,
            Err(e)
                if e.downcast_ref::<Refused>()
                    .is_some_and(|r| r.code == "order_done") =>
            {
                break;
            }
            Err(e) => return Err(e.context(format!("{} made before", made.len()))),
        };
        let envelope = args
            .pin_envelope
            .as_deref()
            .map(|path| envelope_for(path, &key.serial));
        let one = finish_key(
            &module,
            key,
            &server,
            &started,
            &transport,
            args,
            envelope.as_deref(),
        )
        .await
        .with_context(|| format!("{} made before", made.len()))?;
        made.push(one);
    }
    anyhow::ensure!(
        !made.is_empty(),
        "nothing made: no application of order {order} waits for a key, or no key is inserted"
    );
    Ok(made)
}

/// `path` with `serial` before its extension (`envelope.txt` → `envelope-K0001.txt`).
fn envelope_for(path: &Path, serial: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{serial}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{serial}"),
    };
    path.with_file_name(name)
}

/// Makes `key` for the job `started` and reports the end: done, or the failed step.
async fn finish_key(
    module: &Module,
    key: &InsertedKey,
    server: &Server,
    started: &server::Started,
    transport: &str,
    args: &ProduceArgs,
    pin_envelope: Option<&Path>,
) -> anyhow::Result<Made> {
    let made = make(
        module,
        key,
        server,
        started,
        transport,
        args.sm2_mechanism,
        pin_envelope,
    )
    .await;
    match made {
        Ok(certificate_serial) => Ok(Made {
            job: started.job,
            application_number: started.application_number.clone(),
            holder: started.holder.clone(),
            key_serial: key.serial.clone(),
            certificate_serial,
        }),
        Err(failed) => {
            let message = format!("{:#}", failed.error);
            let reported = server
                .fail(started.job, failed.step, &message, damaged(&message))
                .await;
            let mut error = failed.error.context(format!(
                "制证失败 / production failed at {}",
                failed.step.as_str()
            ));
            if let Err(e) = reported {
                error = error.context(format!("and the failure could not be reported: {e:#}"));
            }
            Err(error)
        }
    }
}

/// Writes the PIN envelope of `started` to `path`, readable by its owner only.
fn write_envelope(path: &Path, started: &server::Started, key: &InsertedKey) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing the PIN envelope {}", path.display()))?;
    let text = Zeroizing::new(format!(
        "USBKEY 用户口令 / USB key PIN\n申请单号 / Application: {}\n持有者 / Holder: {}\n介质序列号 / Key: {}\n用户口令 / PIN: {}\n收到后请立即修改口令。Change the PIN on receipt.\n",
        started.application_number,
        started.holder,
        key.serial,
        started.user_pin.as_str()
    ));
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Whether a PKCS#11 failure says the key itself is faulty.
fn damaged(message: &str) -> bool {
    [
        "CKR_DEVICE_ERROR",
        "CKR_DEVICE_MEMORY",
        "CKR_TOKEN_NOT_RECOGNIZED",
    ]
    .iter()
    .any(|code| message.contains(code))
}

/// The steps on the key, each naming itself when it fails; the certificate's serial.
async fn make(
    module: &Module,
    key: &InsertedKey,
    server: &Server,
    started: &server::Started,
    transport_so_pin: &str,
    sm2_mechanism: Option<u64>,
    pin_envelope: Option<&Path>,
) -> Result<String, Failed> {
    // The PIN goes on paper with the key: nothing is done to the key without the envelope.
    let envelope = match (started.pin_delivery.as_str(), pin_envelope) {
        ("envelope_with_key", None) => {
            return Err(Failed {
                step: Step::SetPin,
                error: anyhow::anyhow!(
                    "this channel sends the PIN on paper with the key: give --pin-envelope FILE"
                ),
            });
        }
        ("envelope_with_key", Some(path)) => Some(path),
        _ => None,
    };
    let family = match started.family.as_str() {
        "ecdsa" => KeyFamily::EcdsaP256,
        "rsa" => KeyFamily::Rsa,
        "sm2" => KeyFamily::Sm2,
        other => {
            return Err(Failed {
                step: Step::GenerateKey,
                error: anyhow::anyhow!("unknown key family {other:?}"),
            });
        }
    };
    injected(Step::InitToken)?;
    let current_so_pin = started
        .current_so_pin
        .as_deref()
        .map_or(transport_so_pin, |pin| pin.as_str());
    module
        .initialise(
            key.slot,
            current_so_pin,
            &started.label,
            &started.so_pin,
            &started.user_pin,
        )
        .map_err(at(Step::InitToken))?;
    if let Some(path) = envelope {
        write_envelope(path, started, key).map_err(at(Step::SetPin))?;
    }
    injected(Step::GenerateKey)?;
    let id = token::new_key_id().map_err(at(Step::GenerateKey))?;
    let signer = module
        .generate(
            key.slot,
            &started.user_pin,
            family,
            &started.label,
            &id,
            sm2_mechanism,
        )
        .map_err(at(Step::GenerateKey))?;
    injected(Step::SignRequest)?;
    // The server sets the subject from the application; this one only names the key.
    let subject = SubjectFields {
        common_name: Some(started.label.clone()),
        ..SubjectFields::default()
    };
    let csr = pki::csr::build(&signer, &subject).map_err(at(Step::SignRequest))?;
    injected(Step::Issue)?;
    let issued = server
        .issue(started.job, &csr)
        .await
        .map_err(at(Step::Issue))?;
    injected(Step::WriteCertificate)?;
    module
        .write_certificate(
            key.slot,
            &started.user_pin,
            &id,
            &started.label,
            &issued.der,
        )
        .map_err(at(Step::WriteCertificate))?;
    injected(Step::Verify)?;
    let read_back = module
        .read_certificate(key.slot, &id)
        .map_err(at(Step::Verify))?;
    let signature = signer.sign(&started.challenge).map_err(at(Step::Verify))?;
    let algorithm = signer.signature_algorithm().oid.to_string();
    server
        .finish(started.job, &read_back, &algorithm, &signature)
        .await
        .map_err(at(Step::Verify))?;
    Ok(issued.serial)
}
