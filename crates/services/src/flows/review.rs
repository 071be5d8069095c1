//! Reviewing (审核) in the console: the queue of submitted applications against the
//! channel's review promise in working days, overdue first; taking one (申请受理: locked
//! against the customer's edits), putting it back, approving it or rejecting it with a
//! reason from the list and the reviewer's words. The role and the separation of duties
//! are checked here (a clerk who entered an application at the counter may not review it
//! when the rules say so), whatever the face. The customer is told the decision by SMS and
//! e-mail through the outbox. Transitions: `Submitted → UnderReview`,
//! `UnderReview → Submitted`, `UnderReview → Approved`, `UnderReview → Rejected`.

use domain::application::{RejectReason, Subject};
use domain::time::UnixTime;
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Duty, Lang, Role, text};
use store::WriteTx;
use store::applications::ApplicationRecord;

use super::application::{self, Application, not_found};
use crate::notifications::{self, Recipient, Template};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// One application waiting for review.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub application: Application,
    /// When the review promise runs out (the end of its last working day).
    pub due: UnixTime,
    pub overdue: bool,
}

/// The review queue: submitted applications and those under review, overdue first, then
/// the longest waiting.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<QueueItem>, ServiceError> {
    actor.require_any(&[Role::Reviewer, Role::Admin])?;
    let now = app.now();
    let records = store::applications::in_statuses(
        &app.store,
        &[ApplicationStatus::Submitted, ApplicationStatus::UnderReview],
        500,
    )
    .await?;
    let mut items = Vec::with_capacity(records.len());
    for record in &records {
        let application = application::assemble(app, record).await?;
        let since = UnixTime::from_seconds(record.submitted_at.unwrap_or(record.created_at));
        let due = app
            .calendar
            .due(since, application.channel.review_promise_working_days);
        items.push(QueueItem {
            application,
            due,
            overdue: now >= due,
        });
    }
    items.sort_by_key(|item| (!item.overdue, item.due, item.application.id));
    Ok(items)
}

/// The duties already done on the application by operators (for separation of duties):
/// the clerk who entered it, and the finance operator who confirmed its order's payment.
async fn duties_done(
    tx: &mut WriteTx,
    record: &ApplicationRecord,
) -> Result<Vec<(Duty, i64)>, ServiceError> {
    let mut done: Vec<(Duty, i64)> = record
        .entered_by
        .map(|clerk| (Duty::CounterAccept, clerk))
        .into_iter()
        .collect();
    if let Some(order_id) = record.order_id
        && let Some(order) = store::orders::find_in(tx, order_id).await?
    {
        done.extend(order.confirmed_by.map(|id| (Duty::ConfirmPayment, id)));
    }
    Ok(done)
}

fn operator_id(actor: &Actor) -> Option<i64> {
    match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    }
}

async fn load(
    app: &App,
    tx: &mut WriteTx,
    id: i64,
) -> Result<(ApplicationRecord, Application), ServiceError> {
    let record = store::applications::find_in(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let application = application::assemble(app, &record).await?;
    Ok((record, application))
}

/// Only the reviewer who took the application (or an administrator) decides on it.
fn check_holder(actor: &Actor, record: &ApplicationRecord) -> Result<(), ServiceError> {
    let holds = match actor {
        Actor::Operator { id, roles, .. } => {
            record.reviewer_id == Some(*id) || roles.contains(Role::Admin)
        }
        Actor::Cli(_) | Actor::System => true,
        _ => false,
    };
    if holds {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorKind::Forbidden,
            "taken_by_another",
            "another reviewer has taken this application",
            "该申请已由其他审核员受理",
        ))
    }
}

/// Takes a submitted application for review (申请受理中); the customer can no longer edit it.
pub async fn take(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let (record, application) = load(app, &mut tx, id).await?;
    actor.require_duty(
        Duty::Review,
        &app.hall.separation_of_duties,
        &duties_done(&mut tx, &record).await?,
    )?;
    application::change_status(
        &mut tx,
        actor,
        &record,
        application.pipeline,
        ApplicationEvent::Take,
        AuditAction::ApplicationTake,
        serde_json::json!({}),
    )
    .await?;
    store::applications::set_review(&mut tx, id, operator_id(actor), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts an application back in the queue without a decision.
pub async fn release(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let (record, application) = load(app, &mut tx, id).await?;
    actor.require_any(&[Role::Reviewer, Role::Admin])?;
    check_holder(actor, &record)?;
    application::change_status(
        &mut tx,
        actor,
        &record,
        application.pipeline,
        ApplicationEvent::Release,
        AuditAction::ApplicationRelease,
        serde_json::json!({}),
    )
    .await?;
    store::applications::set_review(&mut tx, id, None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Queues the decision's SMS to the agent's mobile and e-mail to the agent's address.
async fn tell_customer(
    tx: &mut WriteTx,
    application: &Application,
    template: &Template,
    decision: &str,
) -> Result<(), ServiceError> {
    let Some(agent) = &application.content.agent else {
        return Ok(());
    };
    // One message per decision on one submission, however often the request is repeated.
    let key = format!(
        "application:{}:{decision}:{}",
        application.id,
        application.submitted_at.unwrap_or(0)
    );
    for to in [
        Recipient::Sms(agent.mobile.clone()),
        Recipient::Email(agent.email.clone()),
    ] {
        notifications::enqueue(tx, &to, template, Lang::Zh, &key).await?;
    }
    Ok(())
}

fn holder_of(application: &Application) -> String {
    application
        .content
        .subject
        .as_ref()
        .map(Subject::name)
        .unwrap_or_default()
        .to_string()
}

/// Approves the application under review (审核通过).
pub async fn approve(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let (record, application) = load(app, &mut tx, id).await?;
    actor.require_duty(
        Duty::Review,
        &app.hall.separation_of_duties,
        &duties_done(&mut tx, &record).await?,
    )?;
    check_holder(actor, &record)?;
    application::change_status(
        &mut tx,
        actor,
        &record,
        application.pipeline,
        ApplicationEvent::Approve,
        AuditAction::ApplicationApprove,
        serde_json::json!({}),
    )
    .await?;
    application::settle_payment(&mut tx, app, actor, id).await?;
    let template = Template::ApplicationApproved {
        number: application.number.clone(),
        holder: holder_of(&application),
    };
    tell_customer(&mut tx, &application, &template, "approved").await?;
    tx.commit().await?;
    Ok(())
}

/// The reviewer's decision to return an application.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// A reason of [`RejectReason`], by its stored name.
    pub reason: String,
    /// The reviewer's words; required with `other`.
    pub note: String,
}

/// The sentence the customer reads: the listed reason, then the reviewer's words.
fn reason_text(reason: RejectReason, note: Option<&str>) -> String {
    match note {
        Some(note) if reason == RejectReason::Other => note.to_string(),
        Some(note) => format!("{}：{note}", reason.name_zh()),
        None => reason.name_zh().to_string(),
    }
}

/// Rejects the application under review (审核拒绝) with a reason.
pub async fn reject(
    app: &App,
    actor: &Actor,
    id: i64,
    rejection: &Rejection,
) -> Result<(), ServiceError> {
    let reason = RejectReason::parse(&rejection.reason).ok_or_else(|| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_reason",
            "choose a reason from the list",
            "请选择拒绝原因",
        )
        .with_field("reason")
    })?;
    let note = text::optional("note", Some(&rejection.note), 200, "说明")?;
    if reason == RejectReason::Other && note.is_none() {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_field",
            "note: say why",
            "请填写拒绝说明",
        )
        .with_field("note"));
    }
    let said = reason_text(reason, note.as_deref());
    let mut tx = app.store.begin_write().await?;
    let (record, application) = load(app, &mut tx, id).await?;
    actor.require_duty(
        Duty::Review,
        &app.hall.separation_of_duties,
        &duties_done(&mut tx, &record).await?,
    )?;
    check_holder(actor, &record)?;
    application::change_status(
        &mut tx,
        actor,
        &record,
        application.pipeline,
        ApplicationEvent::Reject,
        AuditAction::ApplicationReject,
        serde_json::json!({"reason": said, "code": reason.as_str()}),
    )
    .await?;
    store::applications::set_review(&mut tx, id, record.reviewer_id, Some(&said)).await?;
    let template = Template::ApplicationRejected {
        number: application.number.clone(),
        holder: holder_of(&application),
        reason: said,
    };
    tell_customer(&mut tx, &application, &template, "rejected").await?;
    tx.commit().await?;
    Ok(())
}
