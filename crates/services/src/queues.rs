//! The operator console's work queues: what waits for each role, how many, and how long
//! the oldest item has waited against its promise. Queues of applications are empty until
//! applications exist (the business flows fill them); the failed-notifications queue is
//! live.

use domain::Role;
use store::Store;

use crate::ServiceError;

/// One queue on the dashboard.
#[derive(Debug, Clone)]
pub struct QueueSummary {
    /// Stable key, also the i18n key suffix (`queue.review`).
    pub key: &'static str,
    /// Who works it.
    pub role: Role,
    /// Where the queue's list is, when it has a page.
    pub href: Option<&'static str>,
    pub count: i64,
    /// Seconds the oldest item has waited.
    pub oldest_age_seconds: Option<i64>,
    /// The promise for an item, in seconds (working days counted as calendar days here).
    pub promise_seconds: i64,
}

impl QueueSummary {
    /// Whether the oldest item is past its promise.
    pub fn overdue(&self) -> bool {
        self.oldest_age_seconds
            .is_some_and(|age| age > self.promise_seconds)
    }
}

const DAY: i64 = 86_400;

/// The queues, in the order of the pipeline.
pub async fn summaries(store: &Store) -> Result<Vec<QueueSummary>, ServiceError> {
    let now = pki::time::now_unix();
    let application_queue = |key, role, promise_days: i64| QueueSummary {
        key,
        role,
        href: None,
        count: 0,
        oldest_age_seconds: None,
        promise_seconds: promise_days * DAY,
    };
    let (failed, oldest) = store::outbox::count_with_status(store, "failed").await?;
    Ok(vec![
        application_queue("counter", Role::Counter, 1),
        application_queue("review", Role::Reviewer, 2),
        application_queue("payment", Role::Finance, 1),
        application_queue("production", Role::Producer, 1),
        application_queue("shipping", Role::Shipper, 3),
        QueueSummary {
            key: "failed_messages",
            role: Role::Admin,
            href: Some("/console/messages"),
            count: failed,
            oldest_age_seconds: oldest.map(|at| (now - at).max(0)),
            promise_seconds: DAY,
        },
    ])
}
