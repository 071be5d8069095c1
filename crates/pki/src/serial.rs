//! Certificate serial numbers: positive, 20 octets at most, with 128 random bits.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

use crate::PkiError;

/// A serial number as its minimal big-endian magnitude (positive, never zero).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Serial(Vec<u8>);

impl Serial {
    /// 128 random bits with the top bit cleared (so the DER INTEGER needs no sign octet and
    /// stays at 16 octets), which leaves 127 bits of randomness: well above the 64 required.
    pub fn random() -> Result<Self, PkiError> {
        let rng = SystemRandom::new();
        loop {
            let mut bytes = [0u8; 16];
            rng.fill(&mut bytes)
                .map_err(|_| PkiError::Crypto("random"))?;
            bytes[0] &= 0x7f;
            // Keep the serial at a fixed width: avoid a leading zero octet.
            if bytes[0] != 0 {
                return Ok(Serial(bytes.to_vec()));
            }
        }
    }

    /// Parses lowercase or uppercase hex (colons allowed, as OpenSSL prints them).
    pub fn from_hex(input: &str) -> Result<Self, PkiError> {
        let cleaned: String = input.trim().chars().filter(|c| *c != ':').collect();
        let cleaned = cleaned.trim_start_matches("0x");
        let mut bytes = hex::decode(if cleaned.len() % 2 == 1 {
            format!("0{cleaned}")
        } else {
            cleaned.to_string()
        })
        .map_err(|_| PkiError::Encoding(format!("serial {input:?} is not hexadecimal")))?;
        let first_nonzero = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        bytes.drain(..first_nonzero);
        if bytes.is_empty() || bytes.len() > 20 {
            return Err(PkiError::Encoding(format!(
                "serial {input:?} must be a positive number of at most 20 octets"
            )));
        }
        Ok(Serial(bytes))
    }

    /// From a certificate's serial field (strips the DER sign octet and any leading zero).
    pub fn from_der_magnitude(bytes: &[u8]) -> Result<Self, PkiError> {
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        let magnitude = &bytes[start..];
        if magnitude.is_empty() || magnitude.len() > 20 {
            return Err(PkiError::Encoding(
                "serial must be a positive number of at most 20 octets".into(),
            ));
        }
        Ok(Serial(magnitude.to_vec()))
    }

    /// The canonical text form: lowercase hex of the magnitude, no separators.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The x509-cert serial (adds the sign octet when the top bit is set).
    pub fn to_x509(&self) -> Result<x509_cert::serial_number::SerialNumber, PkiError> {
        let mut bytes = Vec::with_capacity(self.0.len() + 1);
        if self.0[0] & 0x80 != 0 {
            bytes.push(0);
        }
        bytes.extend_from_slice(&self.0);
        Ok(x509_cert::serial_number::SerialNumber::new(&bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_serials_are_positive_16_octets_and_distinct() {
        let a = Serial::random().unwrap();
        let b = Serial::random().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_bytes().len(), 16);
        assert!(a.as_bytes()[0] < 0x80 && a.as_bytes()[0] > 0);
    }

    #[test]
    fn hex_forms_are_normalised() {
        assert_eq!(Serial::from_hex("10:02").unwrap().to_hex(), "1002");
        assert_eq!(Serial::from_hex("0x0ABC").unwrap().to_hex(), "0abc");
        assert_eq!(Serial::from_hex("abc").unwrap().to_hex(), "0abc");
        assert!(Serial::from_hex("00").is_err());
        assert!(Serial::from_hex("xyz").is_err());
        assert!(Serial::from_hex(&"11".repeat(21)).is_err());
    }

    #[test]
    fn der_magnitudes_lose_their_sign_octet() {
        assert_eq!(
            Serial::from_der_magnitude(&[0, 0x80, 1]).unwrap().to_hex(),
            "8001"
        );
        assert_eq!(
            Serial::from_der_magnitude(&[0x10, 0x02]).unwrap().to_hex(),
            "1002"
        );
        assert!(Serial::from_der_magnitude(&[0, 0]).is_err());
        assert!(Serial::from_der_magnitude(&[1; 21]).is_err());
    }

    #[test]
    fn high_bit_serials_get_a_sign_octet_in_der() {
        let s = Serial::from_hex("80").unwrap();
        assert_eq!(s.to_x509().unwrap().as_bytes(), &[0, 0x80]);
    }
}
