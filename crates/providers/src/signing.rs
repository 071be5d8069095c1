//! The HMAC-SHA256 signature of CertHall's signed JSON requests and answers (the SMS
//! gateway, the identity service): `sha256=<hex HMAC-SHA256(secret, timestamp + "." +
//! body)>`, sent in `X-CertHall-Signature` beside `X-CertHall-Timestamp` (Unix seconds).

/// The signature header value for `body` sent at `timestamp`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("sha256={}", hex::encode(ctx.sign()))
}

/// Whether `header` is the signature of `body` at `timestamp`, compared in constant time.
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(given) = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let mut message = timestamp.to_string().into_bytes();
    message.push(b'.');
    message.extend_from_slice(body);
    aws_lc_rs::hmac::verify(&key, &message, &given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        // HMAC-SHA256("key", "1700000000.{}"), computed independently with openssl:
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac key
        let sig = signature(b"key", 1_700_000_000, b"{}");
        assert_eq!(
            sig,
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
        assert!(verify(b"key", 1_700_000_000, b"{}", &sig));
        assert!(!verify(b"key", 1_700_000_001, b"{}", &sig));
        assert!(!verify(b"other", 1_700_000_000, b"{}", &sig));
        assert!(!verify(b"key", 1_700_000_000, b"{}", "sha256=zz"));
        assert!(!verify(b"key", 1_700_000_000, b"{}", &sig[7..]));
    }
}
