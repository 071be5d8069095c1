//! USB keys over PKCS#11 (the vendor's module; SoftHSM2 in tests). What producing a key
//! takes, each a small call over `cryptoki`:
//!
//! - [`Module::keys`]: the inserted keys with what they report (`C_GetTokenInfo`: vendor,
//!   model, serial, label, and the PIN flags);
//! - [`Module::initialise`]: `C_InitToken` with the key's current security-officer PIN
//!   (the vendor's transport PIN on a blank key), which wipes it, then the SO PIN changed
//!   to the one the server made (`C_SetPIN` as SO) and the user PIN set (`C_InitPIN`);
//! - [`Module::generate`]: a key pair on the key, the private half sensitive and never
//!   extractable, with a CKA_ID of its own, returned as a [`pki::Signer`] (so the CSR is
//!   built by [`pki::csr::build`] and signed on the key);
//! - [`Module::write_certificate`] and [`Module::read_certificate`]: the certificate as an
//!   object with the key pair's CKA_ID, so that middleware pairs them.
//!
//! No PIN is logged or kept: they pass through as [`zeroize::Zeroizing`] strings. The
//! customer-side agent will reuse this crate.

pub mod softhsm;

use std::path::Path;

use cryptoki::context::Pkcs11;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use pki::KeyFamily;
use pki::pkcs11::Pkcs11Signer;

/// What went wrong, with the PKCS#11 call's own words.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    #[error("{0}")]
    Pki(#[from] pki::PkiError),
    #[error("no key is inserted")]
    NoKey,
    #[error("{0} keys are inserted: name the one to use (--serial)")]
    SeveralKeys(usize),
    #[error("no inserted key has serial {0:?}")]
    UnknownSerial(String),
    #[error("the key holds no certificate with this id")]
    NoCertificate,
}

fn p11(e: impl std::fmt::Display) -> TokenError {
    TokenError::Pkcs11(e.to_string())
}

fn pin(text: &str) -> AuthPin {
    AuthPin::new(text.to_string().into())
}

/// An inserted key, as it reports itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertedKey {
    pub slot: Slot,
    /// `manufacturerID`.
    pub vendor: String,
    pub model: String,
    /// `serialNumber`.
    pub serial: String,
    pub label: String,
    pub initialised: bool,
    /// The user PIN has had a wrong try (`CKF_USER_PIN_COUNT_LOW`).
    pub pin_count_low: bool,
    /// The user PIN is locked (`CKF_USER_PIN_LOCKED`); a token that never locks (SoftHSM2)
    /// never says so.
    pub pin_locked: bool,
}

/// A vendor's PKCS#11 module, loaded once per process.
pub struct Module {
    context: Pkcs11,
}

impl Module {
    pub fn load(path: &Path) -> Result<Module, TokenError> {
        Ok(Module {
            context: pki::pkcs11::context(path)?,
        })
    }

    /// The keys inserted now (slots with a token), in slot order.
    pub fn keys(&self) -> Result<Vec<InsertedKey>, TokenError> {
        let mut keys = Vec::new();
        for slot in self.context.get_slots_with_token().map_err(p11)? {
            let info = self.context.get_token_info(slot).map_err(p11)?;
            keys.push(InsertedKey {
                slot,
                vendor: info.manufacturer_id().trim().to_string(),
                model: info.model().trim().to_string(),
                serial: info.serial_number().trim().to_string(),
                label: info.label().trim().to_string(),
                initialised: info.token_initialized(),
                pin_count_low: info.user_pin_count_low(),
                pin_locked: info.user_pin_locked(),
            });
        }
        Ok(keys)
    }

    /// The inserted key with serial `serial`; without one, the only initialised key with a
    /// serial (a workstation has one key in its reader).
    pub fn key(&self, serial: Option<&str>) -> Result<InsertedKey, TokenError> {
        let keys: Vec<InsertedKey> = self
            .keys()?
            .into_iter()
            .filter(|k| !k.serial.is_empty() && k.initialised)
            .collect();
        match serial {
            Some(wanted) => keys
                .into_iter()
                .find(|k| k.serial == wanted)
                .ok_or_else(|| TokenError::UnknownSerial(wanted.to_string())),
            None => match keys.len() {
                0 => Err(TokenError::NoKey),
                1 => Ok(keys.into_iter().next().ok_or(TokenError::NoKey)?),
                n => Err(TokenError::SeveralKeys(n)),
            },
        }
    }

    fn session(&self, slot: Slot) -> Result<Session, TokenError> {
        self.context.open_rw_session(slot).map_err(p11)
    }

    /// Wipes the key (`C_InitToken` with its current SO PIN, `current_so_pin`) and labels
    /// it `label`; then sets the user PIN to `user_pin` and, last, the SO PIN to `so_pin`:
    /// when this fails, the key still answers to `current_so_pin`.
    pub fn initialise(
        &self,
        slot: Slot,
        current_so_pin: &str,
        label: &str,
        so_pin: &str,
        user_pin: &str,
    ) -> Result<(), TokenError> {
        self.context
            .init_token(slot, &pin(current_so_pin), label)
            .map_err(|e| p11(format!("C_InitToken: {e}")))?;
        let session = self.session(slot)?;
        session
            .login(UserType::So, Some(&pin(current_so_pin)))
            .map_err(|e| p11(format!("SO login: {e}")))?;
        session
            .init_pin(&pin(user_pin))
            .map_err(|e| p11(format!("C_InitPIN: {e}")))?;
        // Last, so that the SO PIN is the new one exactly when every step succeeded.
        if so_pin != current_so_pin {
            session
                .set_pin(&pin(current_so_pin), &pin(so_pin))
                .map_err(|e| p11(format!("C_SetPIN (SO): {e}")))?;
        }
        session.logout().map_err(p11)?;
        Ok(())
    }

    /// A session of the key's user (logged in with `user_pin`).
    fn user_session(&self, slot: Slot, user_pin: &str) -> Result<Session, TokenError> {
        let session = self.session(slot)?;
        match session.login(UserType::User, Some(&pin(user_pin))) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => Ok(session),
            Err(e) => Err(p11(format!("user login: {e}"))),
        }
    }

    /// Generates a key pair of `family` on the key, labelled `label` with CKA_ID `id`; the
    /// signer that signs with it on the key. SM2 needs the module's vendor mechanism
    /// (`sm2_mechanism`).
    pub fn generate(
        &self,
        slot: Slot,
        user_pin: &str,
        family: KeyFamily,
        label: &str,
        id: &[u8],
        sm2_mechanism: Option<u64>,
    ) -> Result<Pkcs11Signer, TokenError> {
        let session = self.user_session(slot, user_pin)?;
        pki::pkcs11::generate_key_pair(&session, label, id, family, 2048, sm2_mechanism)?;
        Ok(Pkcs11Signer::in_session(
            session,
            Attribute::Id(id.to_vec()),
            family,
            sm2_mechanism,
        )?)
    }

    /// Writes certificate `der` to the key as an X.509 certificate object with CKA_ID `id`
    /// (its key pair's) and `label`.
    pub fn write_certificate(
        &self,
        slot: Slot,
        user_pin: &str,
        id: &[u8],
        label: &str,
        der: &[u8],
    ) -> Result<(), TokenError> {
        use der::Encode;
        let parsed = pki::certificate::parse(der)?;
        let encoding = |e: der::Error| TokenError::Pki(pki::PkiError::Encoding(e.to_string()));
        let subject = parsed.tbs_certificate.subject.to_der().map_err(encoding)?;
        let issuer = parsed.tbs_certificate.issuer.to_der().map_err(encoding)?;
        let serial = parsed
            .tbs_certificate
            .serial_number
            .to_der()
            .map_err(encoding)?;
        let session = self.user_session(slot, user_pin)?;
        session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Id(id.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Subject(subject),
                Attribute::Issuer(issuer),
                Attribute::SerialNumber(serial),
                Attribute::Value(der.to_vec()),
            ])
            .map_err(|e| p11(format!("writing the certificate: {e}")))?;
        Ok(())
    }

    /// The certificate with CKA_ID `id` as the key holds it (certificates are public: no
    /// login).
    pub fn read_certificate(&self, slot: Slot, id: &[u8]) -> Result<Vec<u8>, TokenError> {
        let session = self.session(slot)?;
        let handle = session
            .find_objects(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::Id(id.to_vec()),
            ])
            .map_err(p11)?
            .into_iter()
            .next()
            .ok_or(TokenError::NoCertificate)?;
        session
            .get_attributes(handle, &[AttributeType::Value])
            .map_err(p11)?
            .into_iter()
            .find_map(|a| match a {
                Attribute::Value(v) => Some(v),
                _ => None,
            })
            .ok_or(TokenError::NoCertificate)
    }
}

/// A fresh random CKA_ID for a key pair and its certificate (20 bytes, the size of a
/// SHA-1 key identifier, as middleware expects).
pub fn new_key_id() -> Result<Vec<u8>, TokenError> {
    let mut id = vec![0u8; 20];
    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut id)
        .map_err(|_| p11("no randomness"))?;
    Ok(id)
}
