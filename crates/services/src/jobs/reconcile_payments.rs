//! Reconciling online payments, every minute: each pending attempt a minute old or more is
//! queried at its provider. A signed answer that it was paid applies it exactly as a notice
//! would (a dropped or failed notice loses nothing); one past its expiry is closed at the
//! provider first and then here (if the buyer paid meanwhile, the close answers so and the
//! next query records the payment). Pending online refunds (finance's, and those of
//! payments an order did not need) are sent again with their fixed numbers
//! ([`crate::flows::refund::send_due`]): a retry after a timeout refunds once. An answer
//! that is not definite changes nothing.
//! Transitions: `Pending → Paid`, `Pending → Closed` (attempts), and the order's through
//! the payment.

use std::sync::Arc;
use std::time::Duration;

use domain::AuditAction;
use domain::payment::AttemptEvent;
use providers::payment::{CloseOutcome, TradeState};

use crate::flows::{order, pay};
use crate::people::actor::Actor;
use crate::{App, ServiceError};

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub paid: u64,
    pub closed: u64,
    pub refunded: u64,
}

pub async fn run_once(app: &App) -> Result<Round, ServiceError> {
    let mut round = Round::default();
    let now = app.now().seconds();
    for attempt in store::payments::pending(&app.store, now - 60, 200).await? {
        let Some(online) = pay::merchant_of(app, &attempt).await? else {
            continue;
        };
        let state = match online.provider.query(&attempt.out_trade_no).await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, out_trade_no = %attempt.out_trade_no, "payment query");
                continue;
            }
        };
        match state {
            TradeState::Paid {
                amount,
                provider_ref,
            } => {
                let mut tx = app.store.begin_write().await?;
                let effect =
                    pay::apply_paid(&mut tx, app, &attempt.out_trade_no, amount, &provider_ref)
                        .await?;
                tx.commit().await?;
                if effect != "duplicate" {
                    round.paid += 1;
                }
            }
            TradeState::Unknown | TradeState::Pending | TradeState::Closed
                if attempt.expires_at <= now =>
            {
                match online.provider.close(&attempt.out_trade_no).await {
                    Ok(CloseOutcome::Closed | CloseOutcome::NotFound) => {}
                    // Paid as it expired: the next round's query records it.
                    Ok(CloseOutcome::AlreadyPaid) | Err(_) => continue,
                }
                let mut tx = app.store.begin_write().await?;
                let Some(current) =
                    store::payments::find_by_number_in(&mut tx, &attempt.out_trade_no).await?
                else {
                    continue;
                };
                let Ok(transition) = current.status.apply(AttemptEvent::Close) else {
                    continue;
                };
                store::transition::set(&mut tx, current.id, transition).await?;
                crate::audit::record(
                    &mut tx,
                    &Actor::System,
                    AuditAction::OrderAttemptClose,
                    order::object(current.order_id),
                    serde_json::json!({"out_trade_no": current.out_trade_no, "from": "pending", "to": "closed"}),
                )
                .await?;
                tx.commit().await?;
                round.closed += 1;
            }
            _ => {}
        }
    }
    round.refunded = crate::flows::refund::send_due(app).await?;
    Ok(round)
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "payment reconciliation failed");
        }
    }
}
