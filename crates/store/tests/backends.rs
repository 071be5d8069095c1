//! The store on both backends: migrations are idempotent, a serial is never stored twice
//! (a collision inside a batch or against an earlier batch comes back as `None`), and
//! batched audit appends keep one intact chain, and a status changes only from the state
//! the change started from.

use std::sync::Arc;

use certhall_store::audit::{self, AuditEvent, ChainReport};
use certhall_store::certificates::{self, NewCertificate};
use certhall_store::outbox::{self, NewMessage};
use certhall_store::{Backend, Store, StoreError, transition};
use domain::time::{Clock, SettableClock, UnixTime};
use domain::{AuditAction, MessageEvent, MessageKind, MessageStatus};

fn clock() -> Arc<dyn Clock> {
    Arc::new(SettableClock::at(UnixTime::from_seconds(1_796_000_000)))
}

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::connect(&url, clock()).await.unwrap();
    // A second connect runs the migrations again: nothing changes.
    Store::connect(&url, clock()).await.unwrap();
    (store, dir)
}

/// A fresh database on the PostgreSQL server the test script starts.
async fn postgres() -> Store {
    let admin = std::env::var("CERTHALL_TEST_POSTGRES_URL").expect(
        "CERTHALL_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts PostgreSQL",
    );
    let name = format!(
        "certhall_test_store_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    // Only a plain connection to the admin database: no migrations there.
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut admin_conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin_conn)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let store = Store::connect(&url, clock()).await.unwrap();
    Store::connect(&url, clock()).await.unwrap();
    store
}

fn cert(ca_id: i64, serial: &str) -> NewCertificate {
    NewCertificate {
        ca_id,
        serial: serial.into(),
        profile: "person-sign".into(),
        subject: "CN=测试".into(),
        not_before: 1,
        not_after: 2,
        der: vec![0x30, 0x00],
    }
}

fn event(n: usize) -> AuditEvent {
    AuditEvent {
        actor: "test".into(),
        action: AuditAction::CertificateIssue,
        object: format!("certificate:{n}"),
        details: serde_json::json!({"n": n, "text": "中文"}),
    }
}

async fn exercise(store: &Store) {
    let mut tx = store.begin_write().await.unwrap();
    let ca_id = certhall_store::cas::insert(
        &mut tx,
        &certhall_store::cas::NewCa {
            name: "t-ca",
            family: "ecdsa",
            role: "issuing",
            parent_id: None,
            subject: "CN=t",
            cert_der: &[0x30, 0x00],
            not_after: 9,
            sha256: "00",
            key_storage: "software",
            sealed_key: Some(&[1, 2, 3]),
            pkcs11_label: None,
        },
    )
    .await
    .unwrap();
    let (a, b, c) = (cert(ca_id, "0a"), cert(ca_id, "0b"), cert(ca_id, "0a"));
    let ids = certificates::insert_many(&mut tx, &[&a, &b, &c])
        .await
        .unwrap();
    assert!(ids[0].is_some() && ids[1].is_some(), "{ids:?}");
    assert_eq!(ids[2], None, "the second 0a in the batch is refused");
    assert_eq!(
        certificates::insert(&mut tx, &cert(ca_id, "0b"))
            .await
            .unwrap(),
        None,
        "0b is taken"
    );
    let events: Vec<AuditEvent> = (0..600).map(event).collect();
    let seqs = audit::append_many(&mut tx, &events).await.unwrap();
    assert_eq!(seqs.first(), Some(&1));
    assert_eq!(seqs.last(), Some(&600));
    assert_eq!(audit::append(&mut tx, &event(600)).await.unwrap(), 601);
    tx.commit().await.unwrap();

    assert_eq!(
        audit::verify(store).await.unwrap(),
        ChainReport::Intact { events: 601 }
    );
    let record = certificates::find_by_serial(store, "0b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.subject.as_str(), record.revoked_at),
        ("CN=测试", None)
    );
    let newest = audit::list(
        store,
        &domain::AuditFilter {
            action_prefix: "certificate".into(),
            ..Default::default()
        },
        1,
    )
    .await
    .unwrap();
    assert_eq!(newest[0].seq, 601);
    assert_eq!(newest[0].at, 1_796_000_000, "stamped by the store's clock");

    let mut tx = store.begin_write().await.unwrap();
    let id = outbox::enqueue(
        &mut tx,
        &NewMessage {
            kind: MessageKind::Sms,
            recipient: "13800138000".into(),
            template: "test".into(),
            subject: String::new(),
            text: "测试".into(),
            sensitive: false,
            idempotency_key: "race".into(),
        },
    )
    .await
    .unwrap()
    .unwrap();
    let claim = MessageStatus::Pending.apply(MessageEvent::Claim).unwrap();
    transition::set(&mut tx, id, claim).await.unwrap();
    let again = transition::set(&mut tx, id, claim).await.unwrap_err();
    assert!(
        matches!(
            again,
            StoreError::LostRace {
                table: "outbox",
                expected: "pending",
                ..
            }
        ),
        "{again}"
    );
    tx.commit().await.unwrap();
    let stored = outbox::list(store, Some(MessageStatus::Sending), 10)
        .await
        .unwrap();
    assert_eq!((stored.len(), stored[0].id), (1, id));
}

#[tokio::test]
async fn sqlite_store() {
    let (store, _dir) = sqlite().await;
    assert_eq!(store.backend(), Backend::Sqlite);
    exercise(&store).await;
}

#[tokio::test]
async fn postgres_store() {
    let store = postgres().await;
    assert_eq!(store.backend(), Backend::Postgres);
    exercise(&store).await;
}

async fn leases(store: &Store) {
    use certhall_store::leases::acquire;
    assert!(acquire(store, "crl-publisher", "node-a", 60).await.unwrap());
    assert!(
        acquire(store, "crl-publisher", "node-a", 60).await.unwrap(),
        "renewal"
    );
    assert!(
        !acquire(store, "crl-publisher", "node-b", 60).await.unwrap(),
        "held by a"
    );
    assert!(acquire(store, "other-job", "node-b", 60).await.unwrap());
    // An expired lease passes to whoever asks.
    assert!(acquire(store, "short", "node-a", -1).await.unwrap());
    assert!(acquire(store, "short", "node-b", 60).await.unwrap());
}

#[tokio::test]
async fn sqlite_leases() {
    let (store, _dir) = sqlite().await;
    leases(&store).await;
}

#[tokio::test]
async fn postgres_leases() {
    leases(&postgres().await).await;
}

/// Two processes on one SQLite file (the command line beside a running server): a write
/// transaction that reads before it writes must wait for the other writer, not fail with
/// "database is locked" when the other commits in between.
#[tokio::test]
async fn sqlite_writers_in_two_processes_wait_for_each_other() {
    let (first, dir) = sqlite().await;
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let second = Store::connect(&url, clock()).await.unwrap();
    let count = "SELECT COUNT(*) FROM job_leases";
    let insert = "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, 'x', 0)";

    let mut reading_first = first.begin_write().await.unwrap();
    let seen: i64 = sqlx::query_scalar(count)
        .fetch_one(&mut **reading_first)
        .await
        .unwrap();
    // The other process writes and commits while the first transaction has only read.
    let other = tokio::spawn(async move {
        let mut tx = second.begin_write().await?;
        sqlx::query(insert).bind("other").execute(&mut **tx).await?;
        tx.commit().await
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    sqlx::query(insert)
        .bind("first")
        .execute(&mut **reading_first)
        .await
        .expect("the first transaction writes after reading");
    reading_first.commit().await.unwrap();
    other
        .await
        .unwrap()
        .expect("the other process waited its turn");

    let total: i64 = sqlx::query_scalar(count)
        .fetch_one(first.pool())
        .await
        .unwrap();
    assert_eq!(total, seen + 2);
}
