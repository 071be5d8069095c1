//! Taking an application back to change it (修改 / 立即修改): from 待审核 (not yet taken by
//! a reviewer) or 审核拒绝. It becomes a draft again, its signature is void (what was
//! signed is no longer what will be submitted), and it must be confirmed and signed again.
//! Where payment comes first, an application waiting for payment may be edited too, but
//! not while an open order holds it. Transitions: `Submitted → Draft`, `Rejected → Draft`,
//! `AwaitingPayment → Draft`.

use domain::{ApplicationEvent, AuditAction};

use super::application::{self, Applicant};
use crate::{App, ServiceError};

pub async fn edit(app: &App, applicant: &Applicant, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let current = application::assemble(app, &record).await?;
    super::order::check_free(&mut tx, &record, false).await?;
    // A draft for the same holder started meanwhile (继续申请) would make two unfinished.
    if let Some(key) = &record.subject_key
        && let Some(other) = store::applications::unfinished_for_subject(
            &mut tx,
            record.customer_id,
            &record.channel_code,
            key,
            id,
        )
        .await?
    {
        let created = store::applications::find_in(&mut tx, other)
            .await?
            .map(|r| r.created_at)
            .unwrap_or(record.created_at);
        return Err(application::duplicate(other, created));
    }
    application::change_status(
        &mut tx,
        applicant.actor(),
        &record,
        current.pipeline,
        ApplicationEvent::Edit,
        AuditAction::ApplicationEdit,
        serde_json::json!({}),
    )
    .await?;
    store::applications::clear_signature(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
