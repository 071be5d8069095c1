//! Envelope encryption of secrets at rest (CA private keys) with AES-256-GCM.
//!
//! A sealed blob is `version (1) || nonce (12) || ciphertext || tag (16)`. The caller's
//! `context` (for CA keys: the CA's name) is authenticated as associated data, so a blob
//! copied onto another CA's row does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::PkiError;

const VERSION: u8 = 1;
/// Length of a master key in bytes.
pub const MASTER_KEY_LEN: usize = 32;

/// The key that seals every other secret. Never printed, never logged.
pub struct MasterKey(Zeroizing<[u8; MASTER_KEY_LEN]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, PkiError> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        SystemRandom::new()
            .fill(key.as_mut())
            .map_err(|_| PkiError::Crypto("random"))?;
        Ok(MasterKey(key))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PkiError> {
        let array: [u8; MASTER_KEY_LEN] = bytes.try_into().map_err(|_| {
            PkiError::Encoding(format!(
                "a master key is {MASTER_KEY_LEN} bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(MasterKey(Zeroizing::new(array)))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    fn aead(&self) -> Result<LessSafeKey, PkiError> {
        UnboundKey::new(&AES_256_GCM, &self.0[..])
            .map(LessSafeKey::new)
            .map_err(|_| PkiError::Crypto("AES-256-GCM key"))
    }

    /// A 32-byte key for another purpose, derived from the master key (HMAC-SHA256 over
    /// the label), so one master key protects every secret without being reused directly.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.0[..]);
        let tag = aws_lc_rs::hmac::sign(&key, format!("certhall derive v1: {label}").as_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Encrypts `plaintext`, binding it to `context`.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, PkiError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| PkiError::Crypto("random"))?;
        let mut in_out = plaintext.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut in_out,
            )
            .map_err(|_| PkiError::Crypto("AES-256-GCM seal"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Decrypts a blob made by [`MasterKey::seal`] with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, PkiError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
            return Err(PkiError::Unseal);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| PkiError::Unseal)?;
        let mut in_out = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let len = self
            .aead()?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                in_out.as_mut_slice(),
            )
            .map_err(|_| PkiError::Unseal)?
            .len();
        in_out.truncate(len);
        Ok(in_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal(b"sm2-root", b"secret scalar").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            &key.open(b"sm2-root", &sealed).unwrap()[..],
            b"secret scalar"
        );
        assert!(matches!(
            key.open(b"rsa-root", &sealed),
            Err(PkiError::Unseal)
        ));
        let other = MasterKey::generate().unwrap();
        assert!(matches!(
            other.open(b"sm2-root", &sealed),
            Err(PkiError::Unseal)
        ));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(matches!(
            key.open(b"sm2-root", &tampered),
            Err(PkiError::Unseal)
        ));
        assert!(matches!(
            key.open(b"sm2-root", &[1, 2]),
            Err(PkiError::Unseal)
        ));
    }
}
