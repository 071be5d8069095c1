//! The storage contract, run on every adapter: the local file system, and the S3 adapter
//! against the real S3-compatible server the test command starts on 127.0.0.1 (moto's
//! server mode; `CERTHALL_TEST_S3_ENDPOINT`). The signatures themselves are pinned to
//! AWS's test vector in the adapter's unit test.

use std::sync::Arc;

use certhall_providers::storage::local::LocalFs;
use certhall_providers::storage::s3::{S3Settings, S3Store};
use certhall_providers::storage::{BlobStore, StorageError};
use domain::time::{Clock, SystemClock};
use zeroize::Zeroizing;

/// What every adapter must do.
async fn contract(store: &dyn BlobStore) {
    let key = "ab/cdef0123456789-document";
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        store.get(key).await.unwrap(),
        None,
        "missing is None, not an error"
    );
    store.put(key, bytes.clone()).await.unwrap();
    assert_eq!(store.get(key).await.unwrap().as_deref(), Some(&bytes[..]));
    assert!(
        matches!(
            store.put(key, b"other".to_vec()).await,
            Err(StorageError::Exists(_))
        ),
        "an object is never replaced"
    );
    assert_eq!(store.get(key).await.unwrap().as_deref(), Some(&bytes[..]));
    store.delete(key).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), None);
    store.delete(key).await.unwrap();
    for bad in ["../etc/passwd", "/abs", "Upper", ""] {
        assert!(
            matches!(store.get(bad).await, Err(StorageError::InvalidKey(_))),
            "{bad:?}"
        );
    }
    store.put("empty/object", Vec::new()).await.unwrap();
    assert_eq!(store.get("empty/object").await.unwrap(), Some(Vec::new()));
}

#[tokio::test]
async fn the_local_file_system_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(&LocalFs::new(dir.path())).await;
}

fn s3(secret: &str, bucket: &str) -> S3Store {
    let endpoint = std::env::var("CERTHALL_TEST_S3_ENDPOINT").expect(
        "CERTHALL_TEST_S3_ENDPOINT is not set: run scripts/test.sh, which starts an S3-compatible server",
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    S3Store::new(
        S3Settings {
            endpoint,
            bucket: bucket.into(),
            region: "us-east-1".into(),
            access_key_id: "AKIACERTHALLTEST".into(),
            secret_access_key: Zeroizing::new(secret.into()),
        },
        clock,
    )
    .unwrap()
}

#[tokio::test]
async fn an_s3_compatible_store_keeps_the_contract() {
    let bucket = format!("certhall-test-{}", std::process::id());
    let store = s3("certhall-test-secret", &bucket);
    store.create_bucket().await.unwrap();
    contract(&store).await;
}
