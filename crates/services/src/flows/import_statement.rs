//! Importing a bank statement (导入银行流水): finance uploads a bank's CSV export with the
//! bank's profile (hall configuration `[[bank_profiles]]`); its credits are read
//! ([`domain::statement::read`]) and each is matched against the open bank-transfer orders:
//! the exact amount in fen, the remitter's name equal to the order's holder (compared
//! normalised) or the order's number in the remark, and the day of the credit within 30
//! days of the order. One match makes a proposal; so does one transfer for several orders
//! of one organisation, when exactly one set of its open orders adds up to the credit
//! ([`domain::statement::ways_to_pay`], twelve orders at most). Finance confirms a
//! proposal ([`super::confirm_payment::confirm_credit`]); anything else stays unmatched
//! with a note saying what was found. The file is known by its SHA-256: importing it twice adds
//! nothing. Transitions: none (credits are created in their first state).

use domain::order::OrderStatus;
use domain::statement::{self, CreditStatus};
use domain::{AuditAction, Role, Status};
use store::orders::OrderRecord;
use store::statements::NewCredit;

use super::order;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// How long after an order its transfer may arrive and still be proposed for it.
const WINDOW_DAYS: i64 = 30;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// `None` when the same file was imported before (nothing was added).
    pub statement: Option<i64>,
    pub credits: usize,
    pub proposed: usize,
}

/// The audit log's name of credit `id`.
pub fn object(id: i64) -> String {
    format!("bank_credit:{id}")
}

pub fn unknown_credit(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_credit",
        format!("no bank credit {id}"),
        "流水记录不存在",
    )
}

pub(crate) fn refused_change(e: &domain::Refused, status: CreditStatus) -> ServiceError {
    ServiceError::new(
        ErrorKind::Conflict,
        "invalid_transition",
        e.to_string(),
        format!("该流水记录已{}", status.name_zh()),
    )
}

/// The verdict on one credit.
struct Verdict {
    status: CreditStatus,
    /// The orders it is proposed for: one, or several of one organisation.
    order_ids: Vec<i64>,
    note: Option<String>,
}

fn judge(credit: &statement::Credit, orders: &[OrderRecord], taken: &[i64]) -> Verdict {
    let remitter = statement::normalise_name(&credit.remitter);
    let in_window = |o: &OrderRecord| {
        let placed = domain::time::UnixTime::from_seconds(o.created_at).china_date();
        credit.booked_on >= placed && credit.booked_on <= placed.plus_days(WINDOW_DAYS)
    };
    let amount = i64::try_from(credit.amount.0).unwrap_or(i64::MAX);
    let named = |o: &OrderRecord| {
        statement::normalise_name(&o.holder_name) == remitter
            || credit.remark.contains(&order::number(o.id, o.created_at))
    };
    let full: Vec<&OrderRecord> = orders
        .iter()
        .filter(|o| o.amount_fen == amount && named(o) && in_window(o) && !taken.contains(&o.id))
        .collect();
    let numbers = |list: &[&OrderRecord]| {
        list.iter()
            .map(|o| order::number(o.id, o.created_at))
            .collect::<Vec<_>>()
            .join("、")
    };
    match full.as_slice() {
        [one] => Verdict {
            status: CreditStatus::Proposed,
            order_ids: vec![one.id],
            note: None,
        },
        [] => {
            // One transfer for several orders of one organisation: a single way of adding
            // some of its open orders up to the credit.
            let mut ways: Vec<Vec<&OrderRecord>> = Vec::new();
            let mut holders: Vec<String> = Vec::new();
            let candidates: Vec<&OrderRecord> = orders
                .iter()
                .filter(|o| named(o) && in_window(o) && !taken.contains(&o.id))
                .collect();
            for o in &candidates {
                let holder = statement::normalise_name(&o.holder_name);
                if holders.contains(&holder) {
                    continue;
                }
                let group: Vec<&OrderRecord> = candidates
                    .iter()
                    .copied()
                    .filter(|c| statement::normalise_name(&c.holder_name) == holder)
                    .collect();
                let amounts: Vec<u64> = group
                    .iter()
                    .map(|c| u64::try_from(c.amount_fen).unwrap_or_default())
                    .collect();
                for way in statement::ways_to_pay(&amounts, credit.amount.0, 2) {
                    ways.push(way.into_iter().map(|i| group[i]).collect());
                }
                holders.push(holder);
            }
            match ways.as_slice() {
                [one] => {
                    return Verdict {
                        status: CreditStatus::Proposed,
                        order_ids: one.iter().map(|o| o.id).collect(),
                        note: Some(format!(
                            "一笔汇款支付同一主体的 {} 个订单：{}",
                            one.len(),
                            numbers(one)
                        )),
                    };
                }
                [first, ..] => {
                    return Verdict {
                        status: CreditStatus::Unmatched,
                        order_ids: Vec::new(),
                        note: Some(format!(
                            "金额等于同一汇款人多个订单的不同组合（如{}），请人工确认",
                            numbers(first)
                        )),
                    };
                }
                [] => {}
            }
            let by_amount: Vec<&OrderRecord> =
                orders.iter().filter(|o| o.amount_fen == amount).collect();
            let by_name: Vec<&OrderRecord> = orders.iter().filter(|o| named(o)).collect();
            let note = if !by_amount.is_empty() {
                format!(
                    "金额与订单{}相同，但汇款户名不是订单主体、附言中也没有订单号（或不在下单后 {WINDOW_DAYS} 天内）",
                    numbers(&by_amount)
                )
            } else if !by_name.is_empty() {
                format!("该汇款人有未付订单{}，但金额不符", numbers(&by_name))
            } else {
                "没有金额与户名相符的未付订单".to_string()
            };
            Verdict {
                status: CreditStatus::Unmatched,
                order_ids: Vec::new(),
                note: Some(note),
            }
        }
        several => Verdict {
            status: CreditStatus::Unmatched,
            order_ids: Vec::new(),
            note: Some(format!(
                "同时符合多个订单：{}，请人工确认",
                numbers(several)
            )),
        },
    }
}

/// Imports `bytes`, a statement exported by the bank of profile `profile`.
pub async fn import(
    app: &App,
    actor: &Actor,
    profile: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<Imported, ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let bank = app
        .hall
        .bank_profiles
        .iter()
        .find(|p| p.code == profile)
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Invalid,
                "unknown_profile",
                format!("no bank profile {profile:?}"),
                "请选择银行流水格式",
            )
            .with_field("profile")
        })?;
    let credits = statement::read(bank, bytes)?;
    let sha256 = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes));
    let open = [
        OrderStatus::AwaitingPayment,
        OrderStatus::AwaitingConfirmation,
        OrderStatus::PaymentException,
    ];
    let mut tx = app.store.begin_write().await?;
    let file_name = domain::text::clip(file_name, 200);
    let Some(statement_id) = store::statements::insert(
        &mut tx,
        &sha256,
        profile,
        &file_name,
        credits.len() as i64,
        &actor.label(),
    )
    .await?
    else {
        return Ok(Imported {
            statement: None,
            credits: 0,
            proposed: 0,
        });
    };
    let orders: Vec<OrderRecord> = store::orders::in_statuses(&app.store, &open, 5000)
        .await?
        .into_iter()
        .filter(|o| o.method == domain::channel::PaymentMethod::BankTransfer.as_str())
        .collect();
    let mut taken = store::statements::proposed_orders(&mut tx).await?;
    let mut proposed = 0;
    for credit in &credits {
        let verdict = judge(credit, &orders, &taken);
        if !verdict.order_ids.is_empty() {
            taken.extend(&verdict.order_ids);
            proposed += 1;
        }
        let booked_on = credit.booked_on.to_string();
        store::statements::insert_credit(
            &mut tx,
            &NewCredit {
                statement_id,
                row_number: credit.row as i64,
                booked_on: &booked_on,
                amount_fen: i64::try_from(credit.amount.0)
                    .map_err(|_| ServiceError::internal("statement", "amount overflows"))?,
                remitter: &domain::text::clip(&credit.remitter, 200),
                remitter_key: &statement::normalise_name(&credit.remitter),
                account: &domain::text::clip(&credit.account, 64),
                remark: &domain::text::clip(&credit.remark, 200),
                status: verdict.status,
                order_ids: &verdict.order_ids,
                note: verdict.note.as_deref(),
            },
        )
        .await?;
    }
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::StatementImport,
        format!("bank_statement:{statement_id}"),
        serde_json::json!({
            "profile": profile, "sha256": sha256, "credits": credits.len(), "proposed": proposed,
            "to": CreditStatus::Proposed.as_str(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Imported {
        statement: Some(statement_id),
        credits: credits.len(),
        proposed,
    })
}

/// A credit as finance sees it.
#[derive(Debug, Clone)]
pub struct CreditView {
    pub record: store::statements::CreditRecord,
    /// The orders it is proposed for or paid: (id, number).
    pub orders: Vec<(i64, String)>,
}

/// The credits finance still has to look at, then the latest decided ones.
pub async fn credits(app: &App, actor: &Actor) -> Result<Vec<CreditView>, ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let mut views = Vec::new();
    for record in store::statements::for_finance(&app.store, 300).await? {
        let mut orders = Vec::new();
        for &id in &record.order_ids {
            if let Some(o) = store::orders::find(&app.store, id).await? {
                orders.push((o.id, order::number(o.id, o.created_at)));
            }
        }
        views.push(CreditView { record, orders });
    }
    Ok(views)
}
