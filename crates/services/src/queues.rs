//! The operator console's work queues: what waits for each role, how many, and how long
//! the oldest item has waited against its promise. Queues of applications are empty until
//! applications exist (the business flows fill them); the failed-notifications queue is
//! live. Review and shipping promises come from the channels (the strictest one); the other
//! steps have no promise configured, and none is invented here.

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
    /// The promise for an item, in seconds (working days counted as calendar days here),
    /// when one is configured.
    pub promise_seconds: Option<i64>,
}

impl QueueSummary {
    /// Whether the oldest item is past its promise.
    pub fn overdue(&self) -> bool {
        match (self.oldest_age_seconds, self.promise_seconds) {
            (Some(age), Some(promise)) => age > promise,
            _ => false,
        }
    }
}

const DAY: i64 = 86_400;

/// The queues, in the order of the pipeline.
pub async fn summaries(store: &Store) -> Result<Vec<QueueSummary>, ServiceError> {
    let now = pki::time::now_unix();
    let channels = crate::channels::list(store).await?;
    let strictest = |days: fn(&domain::Channel) -> u32| {
        channels
            .iter()
            .filter(|c| c.channel.enabled)
            .map(|c| i64::from(days(&c.channel)) * DAY)
            .min()
    };
    let application_queue = |key, role, promise_seconds| QueueSummary {
        key,
        role,
        href: None,
        count: 0,
        oldest_age_seconds: None,
        promise_seconds,
    };
    let (failed, oldest) = store::outbox::count_with_status(store, "failed").await?;
    Ok(vec![
        application_queue("counter", Role::Counter, None),
        application_queue(
            "review",
            Role::Reviewer,
            strictest(|c| c.review_promise_working_days),
        ),
        application_queue("payment", Role::Finance, None),
        application_queue("production", Role::Producer, None),
        application_queue(
            "shipping",
            Role::Shipper,
            strictest(|c| c.shipping_promise_working_days),
        ),
        QueueSummary {
            key: "failed_messages",
            role: Role::Admin,
            href: Some("/console/messages"),
            count: failed,
            oldest_age_seconds: oldest.map(|at| (now - at).max(0)),
            // Failed messages block customers (codes, notices): an administrator's day.
            promise_seconds: Some(DAY),
        },
    ])
}
