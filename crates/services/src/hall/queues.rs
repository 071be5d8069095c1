//! The operator console's work queues: what waits for each role, how many, and how the
//! oldest item stands against its promise. Promises are in working days
//! ([`domain::WorkingCalendar`]): an item that arrives on a day is due at the end of the
//! promise's last working day after it. Live today: counter applications being filled
//! in, the review queue, transfers to confirm, refunds finance must transfer (退款异常
//! included), the production and shipping queues, and failed notifications. Review and shipping promises come from the channels (the strictest one); the other
//! steps have no promise configured, and none is invented here.

use domain::time::{ChinaDate, UnixTime};
use domain::{ApplicationStatus, MessageStatus, Role};

use crate::people::actor::Actor;
use crate::{App, ServiceError};

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
    /// When the oldest item arrived.
    pub oldest_since: Option<UnixTime>,
    /// The promise for an item, in working days, when one is configured.
    pub promise_working_days: Option<u32>,
    /// When the oldest item's promise runs out.
    pub oldest_due: Option<UnixTime>,
    /// The last working day of the promise for an item arriving today.
    pub due_if_new_today: Option<ChinaDate>,
    /// Whether the oldest item is past its promise.
    pub overdue: bool,
}

/// The queues the actor works, in the order of the pipeline.
pub async fn summaries(app: &App, actor: &Actor) -> Result<Vec<QueueSummary>, ServiceError> {
    let now = app.now();
    let channels = crate::hall::channels::enabled(app).await?;
    let strictest = |days: fn(&domain::Channel) -> u32| channels.iter().map(days).min();
    let summary = |key, role, href, count, oldest: Option<i64>, promise: Option<u32>| {
        let oldest_since = oldest.map(UnixTime::from_seconds);
        let oldest_due = match (oldest_since, promise) {
            (Some(since), Some(days)) => Some(app.calendar.due(since, days)),
            _ => None,
        };
        QueueSummary {
            key,
            role,
            href,
            count,
            oldest_since,
            promise_working_days: promise,
            oldest_due,
            due_if_new_today: promise
                .map(|days| app.calendar.add_working_days(now.china_date(), days)),
            overdue: oldest_due.is_some_and(|due| now >= due),
        }
    };
    let (failed, oldest_failed) =
        store::outbox::count_with_status(&app.store, MessageStatus::Failed).await?;
    let (counter, oldest_counter) = store::applications::count_counter_drafts(&app.store).await?;
    let (review, oldest_review) = store::applications::count_in_statuses(
        &app.store,
        &[ApplicationStatus::Submitted, ApplicationStatus::UnderReview],
    )
    .await?;
    let (payment, oldest_payment) = store::orders::count_in_statuses(
        &app.store,
        &[domain::order::OrderStatus::AwaitingConfirmation],
    )
    .await?;
    let (refunds, oldest_refund) = store::refunds::count_for_finance(&app.store).await?;
    // The production queue is worked out per application (its keys); only for whom sees it.
    let (production, oldest_production) = match crate::flows::produce::queue(app, actor).await {
        Ok(items) => (
            items.len() as i64,
            items
                .iter()
                .filter_map(|i| i.application.submitted_at)
                .min(),
        ),
        Err(_) => (0, None),
    };
    let (shipping, oldest_shipping) = match crate::flows::ship::queue(app, actor).await {
        Ok(items) => (
            items.len() as i64,
            items.iter().map(|i| i.since.seconds()).min(),
        ),
        Err(_) => (0, None),
    };
    let all = vec![
        summary(
            "counter",
            Role::Counter,
            Some("/console/counter"),
            counter,
            oldest_counter,
            None,
        ),
        summary(
            "review",
            Role::Reviewer,
            Some("/console/reviews"),
            review,
            oldest_review,
            strictest(|c| c.review_promise_working_days),
        ),
        summary(
            "payment",
            Role::Finance,
            Some("/console/payments"),
            payment,
            oldest_payment,
            None,
        ),
        summary(
            "refunds",
            Role::Finance,
            Some("/console/payments#refunds-heading"),
            refunds,
            oldest_refund,
            None,
        ),
        summary(
            "production",
            Role::Producer,
            Some("/console/production"),
            production,
            oldest_production,
            None,
        ),
        summary(
            "shipping",
            Role::Shipper,
            Some("/console/shipping"),
            shipping,
            oldest_shipping,
            strictest(|c| c.shipping_promise_working_days),
        ),
        // Failed messages block customers (codes, notices): an administrator's day.
        summary(
            "failed_messages",
            Role::Admin,
            Some("/console/messages"),
            failed,
            oldest_failed,
            Some(1),
        ),
    ];
    Ok(all
        .into_iter()
        .filter(|q| actor.require_any(&[q.role]).is_ok())
        .collect())
}
