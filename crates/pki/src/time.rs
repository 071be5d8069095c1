//! Times in certificates, CRLs and OCSP responses. CertHall keeps times as Unix seconds;
//! "now" always comes from the caller (the application's clock, `domain::time`).

use std::time::Duration;

use der::DateTime;
use der::asn1::{GeneralizedTime, UtcTime};
use x509_cert::time::Time;

use crate::PkiError;

fn date_time(unix: i64) -> Result<DateTime, PkiError> {
    let secs = u64::try_from(unix).map_err(|_| PkiError::Encoding("time before 1970".into()))?;
    Ok(DateTime::from_unix_duration(Duration::from_secs(secs))?)
}

/// An X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
pub fn x509_time(unix: i64) -> Result<Time, PkiError> {
    let dt = date_time(unix)?;
    if dt.year() < 2050 {
        Ok(Time::UtcTime(UtcTime::from_date_time(dt)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

/// A GeneralizedTime (OCSP uses nothing else).
pub fn generalized_time(unix: i64) -> Result<GeneralizedTime, PkiError> {
    Ok(GeneralizedTime::from_date_time(date_time(unix)?))
}

/// Unix seconds of an X.509 Time.
pub fn unix_of(time: &Time) -> i64 {
    time.to_unix_duration().as_secs() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_utc_time_before_2050_and_generalized_time_after() {
        assert!(matches!(
            x509_time(2_000_000_000).unwrap(),
            Time::UtcTime(_)
        ));
        // 2050-01-01T00:00:00Z
        assert!(matches!(
            x509_time(2_524_608_000).unwrap(),
            Time::GeneralTime(_)
        ));
        assert_eq!(unix_of(&x509_time(2_524_608_000).unwrap()), 2_524_608_000);
    }
}
