//! Cancelling an application (取消): the customer gives up a draft, a submitted one not yet
//! taken by a reviewer, or a rejected one. Transitions: `Draft → Cancelled`,
//! `Submitted → Cancelled`, `Rejected → Cancelled`. Its documents (identity documents:
//! personal information with no purpose left) and its identity checks are shredded: the rows holding their
//! wrapped keys go in the same transaction, the sealed objects after the commit.

use domain::{ApplicationEvent, AuditAction};

use super::application::{self, Applicant};
use crate::{App, ServiceError};

pub async fn cancel(app: &App, applicant: &Applicant, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let current = application::assemble(app, &record).await?;
    let shredded = store::documents::delete_all_of(&mut tx, id).await?;
    store::identity_checks::delete_all_of(&mut tx, id).await?;
    application::change_status(
        &mut tx,
        applicant.actor(),
        &record,
        current.pipeline,
        ApplicationEvent::Cancel,
        AuditAction::ApplicationCancel,
        serde_json::json!({"documents_shredded": shredded.len()}),
    )
    .await?;
    tx.commit().await?;
    let objects: Vec<String> = shredded
        .into_iter()
        .flat_map(|d| [d.object_key, d.thumbnail_key])
        .collect();
    crate::documents::forget(app, &objects).await;
    Ok(())
}
