//! Objects in an S3-compatible store (AWS S3, MinIO, Ceph RGW, OSS's and COS's S3 APIs),
//! for several `serve` nodes sharing documents: path-style URLs
//! (`{endpoint}/{bucket}/{key}`), every request signed with AWS Signature Version 4
//! (`AWS4-HMAC-SHA256`, the payload's SHA-256 signed too). Written here on aws-lc-rs and
//! reqwest; the signature is pinned to the test vector of AWS's SigV4 documentation, and
//! the adapter runs the storage contract against moto's S3 server.
//!
//! A put first asks whether the key exists (HEAD) and sends `If-None-Match: *`, so a store
//! that supports conditional writes refuses to replace an object even in a race; keys are
//! random 128-bit names, so the HEAD alone already makes a replacement unthinkable.

use std::sync::Arc;
use std::time::Duration;

use domain::time::Clock;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use zeroize::Zeroizing;

use super::{BlobStore, StorageError, check_key};

/// Where the bucket is and who we are to it.
#[derive(Clone)]
pub struct S3Settings {
    /// e.g. `https://s3.cn-north-1.amazonaws.com.cn` or `http://127.0.0.1:9000` (no path).
    pub endpoint: String,
    pub bucket: String,
    /// e.g. `cn-north-1`; `us-east-1` for most self-hosted stores.
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
}

/// The store.
pub struct S3Store {
    settings: S3Settings,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

/// One request to sign: what SigV4 covers.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    /// The URI path, already percent-encoded as it goes on the wire.
    pub path: &'a str,
    /// `(name, value)` in lowercase names, besides `host`; all are signed.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload_sha256: &'a str,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    aws_lc_rs::hmac::sign(&key, message.as_bytes())
        .as_ref()
        .to_vec()
}

/// The `Authorization` header of `request` at `amz_date` (`20130524T000000Z`).
pub(crate) fn authorization(
    request: &Request<'_>,
    amz_date: &str,
    region: &str,
    access_key_id: &str,
    secret: &str,
) -> String {
    let date = &amz_date[..8];
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .chain([("host".to_string(), request.host.to_string())])
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        request.method, request.path, request.payload_sha256
    );
    let scope = format!("{date}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = Zeroizing::new(format!("AWS4{secret}"));
    let signing_key = ["s3", "aws4_request"]
        .iter()
        .fold(hmac(&hmac(key.as_bytes(), date), region), |key, part| {
            hmac(&key, part)
        });
    let signature = hex::encode(hmac(&signing_key, &string_to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

fn failed(e: impl std::fmt::Display) -> StorageError {
    StorageError::Io(format!("s3: {e}"))
}

impl S3Store {
    pub fn new(settings: S3Settings, clock: Arc<dyn Clock>) -> Result<Self, StorageError> {
        let endpoint = settings.endpoint.trim_end_matches('/');
        let authority_only = endpoint.split_once("://").is_some_and(|(scheme, rest)| {
            (scheme == "http" || scheme == "https") && !rest.is_empty() && !rest.contains('/')
        });
        if !authority_only {
            return Err(failed(
                "the endpoint must be http(s)://host[:port], without a path (the bucket goes in the path)",
            ));
        }
        let client = crate::http_client(Duration::from_secs(30)).map_err(failed)?;
        Ok(S3Store {
            settings: S3Settings {
                endpoint: settings.endpoint.trim_end_matches('/').to_string(),
                ..settings
            },
            client,
            clock,
        })
    }

    /// Creates the bucket (for tests and first set-up); one that exists and is ours is fine.
    pub async fn create_bucket(&self) -> Result<(), StorageError> {
        let response = self
            .send(reqwest::Method::PUT, None, Vec::new(), &[])
            .await?;
        match response.status().as_u16() {
            200 | 409 => Ok(()),
            _ => Err(refusal(response).await),
        }
    }

    /// Sends one signed request for the object `key` (`None`: the bucket itself).
    async fn send(
        &self,
        method: reqwest::Method,
        key: Option<&str>,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Result<reqwest::Response, StorageError> {
        let s = &self.settings;
        // Keys are lowercase letters, digits, '/' and '-' (check_key): nothing to escape.
        let path = match key {
            Some(key) => format!("/{}/{key}", s.bucket),
            None => format!("/{}", s.bucket),
        };
        let host = s
            .endpoint
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .unwrap_or("");
        let payload = sha256_hex(&body);
        let amz_date = amz_date(self.clock.now().seconds());
        let mut headers = vec![
            ("x-amz-content-sha256", payload.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        headers.extend_from_slice(extra);
        let request = Request {
            method: method.as_str(),
            host,
            path: &path,
            headers: &headers,
            payload_sha256: &payload,
        };
        let authorization = authorization(
            &request,
            &amz_date,
            &s.region,
            &s.access_key_id,
            &s.secret_access_key,
        );
        let mut builder = self
            .client
            .request(method, format!("{}{path}", s.endpoint))
            .header("authorization", authorization);
        for (name, value) in &headers {
            builder = builder.header(*name, *value);
        }
        builder.body(body).send().await.map_err(failed)
    }
}

/// `YYYYMMDDTHHMMSSZ` of a Unix time.
fn amz_date(unix: i64) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

async fn refusal(response: reqwest::Response) -> StorageError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    // S3's error body is XML with a <Code>; keep it short for the log.
    let code = text
        .split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or("");
    failed(format!("{status} {code}"))
}

impl BlobStore for S3Store {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, Result<(), StorageError>> {
        async move {
            check_key(key)?;
            let head = self
                .send(reqwest::Method::HEAD, Some(key), Vec::new(), &[])
                .await?;
            if head.status().is_success() {
                return Err(StorageError::Exists(key.to_string()));
            }
            let response = self
                .send(
                    reqwest::Method::PUT,
                    Some(key),
                    bytes,
                    &[("if-none-match", "*")],
                )
                .await?;
            match response.status().as_u16() {
                200 | 201 | 204 => Ok(()),
                412 => Err(StorageError::Exists(key.to_string())),
                _ => Err(refusal(response).await),
            }
        }
        .boxed()
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StorageError>> {
        async move {
            check_key(key)?;
            let response = self
                .send(reqwest::Method::GET, Some(key), Vec::new(), &[])
                .await?;
            match response.status().as_u16() {
                200 => Ok(Some(response.bytes().await.map_err(failed)?.to_vec())),
                404 => Ok(None),
                _ => Err(refusal(response).await),
            }
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>> {
        async move {
            check_key(key)?;
            let response = self
                .send(reqwest::Method::DELETE, Some(key), Vec::new(), &[])
                .await?;
            match response.status().as_u16() {
                200 | 204 | 404 => Ok(()),
                _ => Err(refusal(response).await),
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "GET Object" example of AWS's documentation, "Signature Calculations for the
    /// Authorization Header: Transferring Payload in a Single Chunk (AWS Signature Version 4)".
    #[test]
    fn signs_as_the_aws_documentation_example() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let request = Request {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            headers: &[
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", empty),
                ("x-amz-date", "20130524T000000Z"),
            ],
            payload_sha256: empty,
        };
        let header = authorization(
            &request,
            "20130524T000000Z",
            "us-east-1",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        assert_eq!(
            header,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        assert_eq!(amz_date(1_369_353_600), "20130524T000000Z");
    }

    #[test]
    fn endpoints_are_a_scheme_and_a_host() {
        let clock: Arc<dyn Clock> = Arc::new(domain::time::SystemClock);
        let settings = |endpoint: &str| S3Settings {
            endpoint: endpoint.into(),
            bucket: "b".into(),
            region: "us-east-1".into(),
            access_key_id: "a".into(),
            secret_access_key: Zeroizing::new("s".into()),
        };
        for good in ["http://127.0.0.1:9000", "https://s3.example.cn/"] {
            assert!(
                S3Store::new(settings(good), clock.clone()).is_ok(),
                "{good}"
            );
        }
        for bad in ["s3.example.cn", "ftp://x", "https://x/prefix", "https://"] {
            assert!(S3Store::new(settings(bad), clock.clone()).is_err(), "{bad}");
        }
    }
}
