//! The outbox: messages exist only if their event's transaction commits, one per event,
//! delivered through the file provider in its fixed format, retried with backoff, marked
//! failed for an administrator, and never sent twice after a crash mid-send.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use certhall_services::notifications::delivery::MAX_ATTEMPTS;
use certhall_services::notifications::{self, Recipient, Template};
use certhall_services::people::actor::Actor;
use certhall_services::people::sms_codes::CodePurpose;
use certhall_services::{App, Config, Notifiers};
use domain::time::{Clock, SettableClock, UnixTime};
use domain::{Lang, MessageEvent, MessageKind, MessageStatus};
use futures_util::future::BoxFuture;
use providers::notify::file::FileNotifier;
use providers::notify::{DeliveryError, Message, Notifier};
use store::Store;
use store::outbox::MessageRecord;

/// The clock of the whole test: it moves only when the test says so.
fn clock() -> Arc<SettableClock> {
    static CLOCK: std::sync::OnceLock<Arc<SettableClock>> = std::sync::OnceLock::new();
    CLOCK
        .get_or_init(|| Arc::new(SettableClock::at(UnixTime::from_seconds(1_796_000_000))))
        .clone()
}

/// The database as the outbox sees it (for enqueueing and inspecting messages).
async fn store(dir: &std::path::Path) -> Store {
    Store::connect(
        &format!("sqlite://{}", dir.join("certhall.db").display()),
        clock(),
    )
    .await
    .unwrap()
}

/// The application on the same database, delivering through `deliverers`.
async fn app(dir: &std::path::Path, deliverers: Notifiers) -> Arc<App> {
    App::open(Config::under(dir, clock()).unwrap(), deliverers)
        .await
        .unwrap()
}

/// One round of the outbox job.
async fn deliver_due(
    dir: &std::path::Path,
    deliverers: Notifiers,
) -> Result<usize, certhall_services::ServiceError> {
    certhall_services::jobs::outbox::run_once(&*app(dir, deliverers).await).await
}

fn phone() -> Recipient {
    Recipient::Sms("13800138000".parse().unwrap())
}

fn code(code: &str) -> Template {
    Template::VerificationCode {
        code: code.into(),
        purpose: CodePurpose::Register,
        minutes: 5,
    }
}

fn file_deliverers(dir: &std::path::Path) -> Notifiers {
    Notifiers {
        sms: Arc::new(FileNotifier::new(
            dir.join("outbox"),
            MessageKind::Sms,
            clock(),
        )),
        email: Arc::new(FileNotifier::new(
            dir.join("outbox"),
            MessageKind::Email,
            clock(),
        )),
    }
}

fn lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("outbox/sms.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn message(store: &Store, id_hint: usize) -> MessageRecord {
    let mut all = store::outbox::list(store, None, 100).await.unwrap();
    all.sort_by_key(|m| m.id);
    all.remove(id_hint)
}

#[tokio::test]
async fn messages_follow_their_transaction_and_go_out_once_in_the_fixed_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    // One-time codes are sensitive: queued sealed, with the application's outbox key.
    let sealer = app(dir.path(), file_deliverers(dir.path())).await;

    // An event whose transaction rolls back leaves no message.
    let mut tx = store.begin_write().await.unwrap();
    notifications::enqueue_secret(
        &sealer,
        &mut tx,
        &phone(),
        &code("111111"),
        Lang::Zh,
        "sms-code:1",
    )
    .await
    .unwrap();
    drop(tx);
    assert!(
        store::outbox::list(&store, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The same event enqueued twice is one message.
    let mut tx = store.begin_write().await.unwrap();
    assert!(
        notifications::enqueue_secret(
            &sealer,
            &mut tx,
            &phone(),
            &code("222222"),
            Lang::Zh,
            "sms-code:2"
        )
        .await
        .unwrap()
    );
    assert!(
        !notifications::enqueue_secret(
            &sealer,
            &mut tx,
            &phone(),
            &code("222222"),
            Lang::Zh,
            "sms-code:2"
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    let queued = message(&store, 0).await;
    assert!(
        queued.text.starts_with("sealed:v1:") && !queued.text.contains("222222"),
        "a code waits sealed: {}",
        queued.text
    );

    assert_eq!(
        deliver_due(dir.path(), file_deliverers(dir.path()))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        deliver_due(dir.path(), file_deliverers(dir.path()))
            .await
            .unwrap(),
        0,
        "nothing twice"
    );
    let written = lines(dir.path());
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["to"], "13800138000");
    assert_eq!(written[0]["template"], "verification_code.register");
    assert!(
        written[0]["text"]
            .as_str()
            .unwrap()
            .contains("注册验证码为222222")
    );
    let stored = message(&store, 0).await;
    assert_eq!(stored.status, MessageStatus::Sent);
    assert!(
        !lines(dir.path())[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("sealed:"),
        "opened to be sent"
    );
    assert_eq!(
        stored.text, "",
        "a delivered one-time code is not kept in the database"
    );
}

/// A provider that fails as a real gateway does (timeouts), a set number of times.
struct Flaky {
    failures_left: AtomicUsize,
    sent: AtomicUsize,
    knows: Option<bool>,
}

impl Notifier for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }
    fn send<'a>(&'a self, _: &'a Message) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            if self.failures_left.load(Ordering::SeqCst) > 0 {
                self.failures_left.fetch_sub(1, Ordering::SeqCst);
                return Err(DeliveryError {
                    retryable: true,
                    reason: "gateway timeout".into(),
                });
            }
            self.sent.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
    fn was_delivered<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Option<bool>> {
        Box::pin(async move { self.knows })
    }
}

async fn make_due_now(store: &Store) {
    sqlx::query("UPDATE outbox SET next_attempt_at = 0 WHERE status = 'pending'")
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn failures_back_off_then_fail_and_an_administrator_can_retry() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    // One-time codes are sensitive: queued sealed, with the application's outbox key.
    let sealer = app(dir.path(), file_deliverers(dir.path())).await;
    let flaky = Arc::new(Flaky {
        failures_left: AtomicUsize::new(usize::MAX),
        sent: AtomicUsize::new(0),
        knows: None,
    });
    let deliverers = || Notifiers {
        sms: flaky.clone(),
        email: flaky.clone(),
    };
    let mut tx = store.begin_write().await.unwrap();
    notifications::enqueue_secret(
        &sealer,
        &mut tx,
        &phone(),
        &code("333333"),
        Lang::En,
        "sms-code:3",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    deliver_due(dir.path(), deliverers()).await.unwrap();
    let m = message(&store, 0).await;
    assert_eq!((m.status, m.attempts), (MessageStatus::Pending, 1));
    assert_eq!(m.last_error.as_deref(), Some("gateway timeout"));
    let wait = m.next_attempt_at - clock().now().seconds();
    assert!(
        (3..=6).contains(&wait),
        "first retry after about 5 s, got {wait}"
    );
    deliver_due(dir.path(), deliverers()).await.unwrap();
    assert_eq!(message(&store, 0).await.attempts, 1, "not before its time");

    for _ in 1..MAX_ATTEMPTS {
        make_due_now(&store).await;
        deliver_due(dir.path(), deliverers()).await.unwrap();
    }
    let m = message(&store, 0).await;
    assert_eq!(
        (m.status, m.attempts),
        (MessageStatus::Failed, MAX_ATTEMPTS)
    );

    flaky.failures_left.store(0, Ordering::SeqCst);
    let admin = Actor::Cli("admin".into());
    notifications::retry(&*app(dir.path(), deliverers()).await, &admin, m.id)
        .await
        .unwrap();
    deliver_due(dir.path(), deliverers()).await.unwrap();
    assert_eq!(message(&store, 0).await.status, MessageStatus::Sent);
    assert_eq!(flaky.sent.load(Ordering::SeqCst), 1);
    let retry = store::audit::list(
        &store,
        &domain::AuditFilter {
            action_prefix: "outbox.retry".into(),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].actor, "cli:admin");
    let again = notifications::retry(&*app(dir.path(), deliverers()).await, &admin, m.id)
        .await
        .unwrap_err();
    assert_eq!(
        again.field.as_deref(),
        Some("id"),
        "only failed messages can be retried"
    );
}

/// The claim a worker makes.
fn claim() -> domain::Transition<MessageStatus> {
    MessageStatus::Pending.apply(MessageEvent::Claim).unwrap()
}

/// Leaves the message as a worker that died mid-send would: claimed, claim expired.
async fn crash_while_sending(store: &Store) {
    let claimed = store::outbox::claim_due(store, claim(), 60, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    sqlx::query("UPDATE outbox SET claimed_until = 0 WHERE status = 'sending'")
        .execute(store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_send_interrupted_by_a_crash_is_never_duplicated() {
    // The file provider can tell: not written yet, so it is sent once.
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    // One-time codes are sensitive: queued sealed, with the application's outbox key.
    let sealer = app(dir.path(), file_deliverers(dir.path())).await;
    let mut tx = store.begin_write().await.unwrap();
    notifications::enqueue_secret(
        &sealer,
        &mut tx,
        &phone(),
        &code("444444"),
        Lang::Zh,
        "sms-code:4",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    crash_while_sending(&store).await;
    deliver_due(dir.path(), file_deliverers(dir.path()))
        .await
        .unwrap();
    assert_eq!(lines(dir.path()).len(), 1);
    assert_eq!(message(&store, 0).await.status, MessageStatus::Sent);

    // Written just before the crash: recognised as delivered, not written again.
    let mut tx = store.begin_write().await.unwrap();
    notifications::enqueue_secret(
        &sealer,
        &mut tx,
        &phone(),
        &code("555555"),
        Lang::Zh,
        "sms-code:5",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let claimed = store::outbox::claim_due(&store, claim(), 60, 10)
        .await
        .unwrap();
    let message_in_flight = Message {
        kind: claimed[0].kind,
        to: claimed[0].recipient.clone(),
        template: claimed[0].template.clone(),
        subject: claimed[0].subject.clone(),
        text: claimed[0].text.clone(),
        idempotency_key: claimed[0].idempotency_key.clone(),
    };
    file_deliverers(dir.path())
        .sms
        .send(&message_in_flight)
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET claimed_until = 0 WHERE status = 'sending'")
        .execute(store.pool())
        .await
        .unwrap();
    deliver_due(dir.path(), file_deliverers(dir.path()))
        .await
        .unwrap();
    assert_eq!(
        lines(dir.path()).len(),
        2,
        "the second code is in the file once"
    );
    assert_eq!(message(&store, 1).await.status, MessageStatus::Sent);

    // A provider that cannot tell: marked failed for a person to decide, not resent.
    let blind = Arc::new(Flaky {
        failures_left: AtomicUsize::new(0),
        sent: AtomicUsize::new(0),
        knows: None,
    });
    let mut tx = store.begin_write().await.unwrap();
    notifications::enqueue_secret(
        &sealer,
        &mut tx,
        &phone(),
        &code("666666"),
        Lang::Zh,
        "sms-code:6",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    crash_while_sending(&store).await;
    deliver_due(
        dir.path(),
        Notifiers {
            sms: blind.clone(),
            email: blind.clone(),
        },
    )
    .await
    .unwrap();
    let m = message(&store, 2).await;
    assert_eq!(m.status, MessageStatus::Failed);
    assert!(m.last_error.unwrap().contains("cannot tell"));
    assert_eq!(blind.sent.load(Ordering::SeqCst), 0);
}
