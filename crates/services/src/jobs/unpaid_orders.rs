//! Unpaid orders (稍后支付), every ten minutes on the application clock: an order still
//! waiting for payment `lifecycle.unpaid_reminder_days` natural days after it was placed
//! gets one SMS reminder (seed 000: 订单提交后3个自然日仍未支付); one left unpaid
//! `lifecycle.close_unpaid_after_days` days is closed and its applications wait for a new
//! order. An order whose voucher is uploaded is finance's, never closed here.
//! Transitions: `AwaitingPayment → Closed` (orders).

use std::sync::Arc;
use std::time::Duration;

use domain::order::OrderEvent;
use domain::{AuditAction, Lang};

use crate::flows::order;
use crate::notifications::{self, Recipient, Template};
use crate::people::actor::Actor;
use crate::{App, ServiceError};

const DAY: i64 = 86_400;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reminded: u64,
    pub closed: u64,
}

/// One round.
pub async fn run_once(app: &App) -> Result<Round, ServiceError> {
    let now = app.now().seconds();
    let mut round = Round::default();
    // Every unpaid order a day old or more; each channel's rule decides what it needs.
    for record in store::orders::unpaid_since(&app.store, now - DAY, false, 1000).await? {
        let channel = crate::hall::channels::stored_definition(app, &record.channel_code).await?;
        let age = now - record.created_at;
        let lifecycle = &channel.lifecycle;
        if age >= i64::from(lifecycle.close_unpaid_after_days) * DAY {
            let mut tx = app.store.begin_write().await?;
            let Some(current) = store::orders::find_in(&mut tx, record.id).await? else {
                continue;
            };
            // Paid, cancelled or given a voucher since the list was read: not ours.
            if current.status.apply(OrderEvent::Close).is_err() {
                continue;
            }
            order::change_status(
                &mut tx,
                &Actor::System,
                &current,
                OrderEvent::Close,
                AuditAction::OrderClose,
                serde_json::json!({"unpaid_days": age / DAY}),
            )
            .await?;
            store::applications::leave_order(&mut tx, record.id).await?;
            tx.commit().await?;
            round.closed += 1;
        } else if record.reminded_at.is_none()
            && age >= i64::from(lifecycle.unpaid_reminder_days) * DAY
        {
            let mut tx = app.store.begin_write().await?;
            if !store::orders::set_reminded(&mut tx, record.id).await? {
                continue;
            }
            let number = order::number(record.id, record.created_at);
            if let Some(customer) =
                store::customers::find_by_id_in(&mut tx, record.customer_id).await?
                && let Ok(phone) = customer.phone.parse::<domain::PhoneNumber>()
            {
                let template = Template::OrderUnpaid {
                    number: number.clone(),
                    amount: domain::Fen(u64::try_from(record.amount_fen).unwrap_or_default())
                        .yuan(),
                    days: lifecycle.close_unpaid_after_days,
                };
                notifications::enqueue(
                    &mut tx,
                    &Recipient::Sms(phone),
                    &template,
                    Lang::Zh,
                    &format!("order:{}:unpaid", record.id),
                )
                .await?;
            }
            crate::audit::record(
                &mut tx,
                &Actor::System,
                AuditAction::OrderRemind,
                order::object(record.id),
                serde_json::json!({"number": number}),
            )
            .await?;
            tx.commit().await?;
            round.reminded += 1;
        }
    }
    Ok(round)
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(600)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "unpaid orders job failed");
        }
    }
}
