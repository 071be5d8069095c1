//! CA keys in a PKCS#11 token or HSM (tested with SoftHSM2).
//!
//! The host hashes and the token signs: raw `CKM_ECDSA` over a SHA-256 digest (SoftHSM2
//! offers no `CKM_ECDSA_SHA256`), and `CKM_SHA256_RSA_PKCS` for RSA. SM2 needs a module
//! with a vendor-defined SM2-with-SM3 mechanism (SoftHSM2 has none); its number is given as
//! `sm2_mechanism` and the module must compute Z with the default user ID itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::asn1::{AnyRef, BitString, Null, OctetString, UintRef};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::signer::der_signature_from_scalars;
use crate::software_key::ec_spki;
use crate::{KeyFamily, PkiError, Signer, oids};

/// A PKCS#11 failure as a [`PkiError`].
pub fn p11(e: impl std::fmt::Display) -> PkiError {
    PkiError::Pkcs11(e.to_string())
}

/// Where a token is and how to log in.
#[derive(Debug, Clone)]
pub struct TokenLocation {
    pub module: PathBuf,
    pub token_label: String,
    pub pin: String,
    /// The vendor mechanism number for SM2-with-SM3 signing, when the module has one.
    pub sm2_mechanism: Option<u64>,
}

/// A module is initialised once per process and shared by all its signers (and by the
/// USB-key side, `certhall-token`).
pub fn context(module: &Path) -> Result<Pkcs11, PkiError> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut map = CONTEXTS
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| p11("lock poisoned"))?;
    if let Some(ctx) = map.get(module) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(module).map_err(|e| p11(format!("loading {}: {e}", module.display())))?;
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(p11)?;
    map.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

fn open_session(location: &TokenLocation) -> Result<Session, PkiError> {
    let ctx = context(&location.module)?;
    let slot = ctx
        .get_slots_with_initialized_token()
        .map_err(p11)?
        .into_iter()
        .find(|slot| {
            ctx.get_token_info(*slot)
                .map(|info| info.label().trim_end() == location.token_label)
                .unwrap_or(false)
        })
        .ok_or_else(|| p11(format!("no token labelled {:?}", location.token_label)))?;
    let session = ctx.open_rw_session(slot).map_err(p11)?;
    match session.login(
        UserType::User,
        Some(&AuthPin::new(location.pin.clone().into())),
    ) {
        // Login state is shared by all sessions of the application with the token.
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {
        }
        Err(e) => {
            return Err(p11(format!(
                "login to token {:?}: {e}",
                location.token_label
            )));
        }
    }
    Ok(session)
}

/// A signer whose private key never leaves the token.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    family: KeyFamily,
    public_key: SubjectPublicKeyInfoOwned,
    sm2_mechanism: Option<u64>,
}

impl Pkcs11Signer {
    /// Generates a key pair labelled `label` in the token.
    pub fn generate(
        location: &TokenLocation,
        label: &str,
        family: KeyFamily,
        rsa_bits: u32,
    ) -> Result<Self, PkiError> {
        let session = open_session(location)?;
        generate_key_pair(
            &session,
            label,
            label.as_bytes(),
            family,
            rsa_bits,
            location.sm2_mechanism,
        )?;
        drop(session);
        Self::open(location, label, family)
    }

    /// Opens the key pair labelled `label`.
    pub fn open(
        location: &TokenLocation,
        label: &str,
        family: KeyFamily,
    ) -> Result<Self, PkiError> {
        let session = open_session(location)?;
        Self::in_session(
            session,
            Attribute::Label(label.as_bytes().to_vec()),
            family,
            location.sm2_mechanism,
        )
    }

    /// The key pair that `which` (its `Label` or `Id`) names, in `session` (logged in).
    pub fn in_session(
        session: Session,
        which: Attribute,
        family: KeyFamily,
        sm2_mechanism: Option<u64>,
    ) -> Result<Self, PkiError> {
        let find = |class: ObjectClass| -> Result<ObjectHandle, PkiError> {
            session
                .find_objects(&[Attribute::Class(class), which.clone()])
                .map_err(p11)?
                .into_iter()
                .next()
                .ok_or_else(|| p11(format!("no {class} {which:?} in the token")))
        };
        let key = find(ObjectClass::PRIVATE_KEY)?;
        let public_handle = find(ObjectClass::PUBLIC_KEY)?;
        let public_key = match family {
            KeyFamily::Rsa => {
                let attrs = session
                    .get_attributes(
                        public_handle,
                        &[AttributeType::Modulus, AttributeType::PublicExponent],
                    )
                    .map_err(p11)?;
                let (mut n, mut e) = (None, None);
                for a in attrs {
                    match a {
                        Attribute::Modulus(v) => n = Some(v),
                        Attribute::PublicExponent(v) => e = Some(v),
                        _ => {}
                    }
                }
                let (n, e) = n
                    .zip(e)
                    .ok_or_else(|| p11("RSA public key attributes missing"))?;
                #[derive(der::Sequence)]
                struct RsaPublicKey<'a> {
                    n: UintRef<'a>,
                    e: UintRef<'a>,
                }
                let pkcs1 = RsaPublicKey {
                    n: UintRef::new(&n)?,
                    e: UintRef::new(&e)?,
                }
                .to_der()?;
                SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: oids::RSA_ENCRYPTION,
                        parameters: Some(AnyRef::from(Null).into()),
                    },
                    subject_public_key: BitString::from_bytes(&pkcs1)?,
                }
            }
            KeyFamily::EcdsaP256 | KeyFamily::Sm2 => {
                let attrs = session
                    .get_attributes(public_handle, &[AttributeType::EcPoint])
                    .map_err(p11)?;
                let point = attrs
                    .into_iter()
                    .find_map(|a| match a {
                        Attribute::EcPoint(v) => Some(v),
                        _ => None,
                    })
                    .ok_or_else(|| p11("EC point missing"))?;
                // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
                let point = OctetString::from_der(&point)?;
                let curve = if family == KeyFamily::Sm2 {
                    oids::SM2_CURVE
                } else {
                    oids::SECP_256_R_1
                };
                ec_spki(curve, point.as_bytes())?
            }
        };
        Ok(Pkcs11Signer {
            session: Mutex::new(session),
            key,
            family,
            public_key,
            sm2_mechanism,
        })
    }
}

/// Generates a key pair in `session` (logged in as the user) with `label` and CKA_ID `id`:
/// the private key on the token, sensitive and never extractable, for signing only.
pub fn generate_key_pair(
    session: &Session,
    label: &str,
    id: &[u8],
    family: KeyFamily,
    rsa_bits: u32,
    sm2_mechanism: Option<u64>,
) -> Result<(), PkiError> {
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
    ];
    // Explicitly no decrypt/unwrap/derive: SoftHSM2 grants them by default.
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Id(id.to_vec()),
    ];
    let mechanism = match family {
        KeyFamily::EcdsaP256 | KeyFamily::Sm2 => {
            let curve = if family == KeyFamily::Sm2 {
                if sm2_mechanism.is_none() {
                    return Err(PkiError::UnsupportedAlgorithm(
                        "SM2 keys in PKCS#11 need a module with an SM2 mechanism (configure its number)".into(),
                    ));
                }
                oids::SM2_CURVE
            } else {
                oids::SECP_256_R_1
            };
            public.push(Attribute::EcParams(curve.to_der()?));
            Mechanism::EccKeyPairGen
        }
        KeyFamily::Rsa => {
            public.push(Attribute::ModulusBits((rsa_bits as u64).into()));
            public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
            Mechanism::RsaPkcsKeyPairGen
        }
    };
    session
        .generate_key_pair(&mechanism, &public, &private)
        .map_err(p11)?;
    Ok(())
}

impl Signer for Pkcs11Signer {
    fn family(&self) -> KeyFamily {
        self.family
    }

    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let session = self
            .session
            .lock()
            .map_err(|_| p11("session lock poisoned"))?;
        match self.family {
            KeyFamily::Rsa => session
                .sign(&Mechanism::Sha256RsaPkcs, self.key, message)
                .map_err(p11),
            KeyFamily::EcdsaP256 => {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.key, digest.as_ref())
                    .map_err(p11)?;
                if raw.len() != 64 {
                    return Err(p11(format!("ECDSA signature of {} bytes", raw.len())));
                }
                der_signature_from_scalars(&raw[..32], &raw[32..])
            }
            KeyFamily::Sm2 => {
                let number = self
                    .sm2_mechanism
                    .ok_or_else(|| p11("no SM2 mechanism configured"))?;
                let mechanism = Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
                    MechanismType::new_vendor_defined(number).map_err(p11)?,
                    None,
                ));
                let raw = session.sign(&mechanism, self.key, message).map_err(p11)?;
                if raw.len() == 64 {
                    der_signature_from_scalars(&raw[..32], &raw[32..])
                } else {
                    Ok(raw)
                }
            }
        }
    }
}
