//! Submitting (提交): the customer confirms the filled-in application and signs the
//! submission with an SMS code sent to the agent's phone, which is the account's (seed 004:
//! 证书申请签名). What was signed is recorded as the SHA-256 of the application's content
//! with the time and the number the code went to. Transition: `Draft → Submitted`.

use domain::application::Step;
use domain::{ApplicationEvent, AuditAction, Lang};

use super::application::{self, Applicant, Application, Signature};
use crate::people::sms_codes::{self, CodePurpose, CodeSent};
use crate::{App, ErrorKind, ServiceError};

fn check_ready(application: &Application) -> Result<(), ServiceError> {
    if !application.is_editable() {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "not_editable",
            format!("the application is {}", application.status.name_en()),
            format!("申请当前状态为“{}”，不能提交", application.status.name_zh()),
        )
        .with_field("status"));
    }
    if application.next_step != Step::Confirm {
        let step = application.next_step;
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "incomplete",
            format!("fill in the step {} first", step.name_en()),
            format!("申请尚未填写完整，请先完成“{}”", step.name_zh()),
        )
        .with_field(step.as_str()));
    }
    Ok(())
}

/// Sends the signing code to the agent's (the account's) phone, once the application is
/// complete.
pub async fn send_code(
    app: &App,
    applicant: &Applicant,
    id: i64,
    ip: &str,
    lang: Lang,
) -> Result<CodeSent, ServiceError> {
    let application = application::get(app, applicant, id).await?;
    check_ready(&application)?;
    sms_codes::send(
        app,
        applicant.phone.as_str(),
        CodePurpose::SignApplication,
        ip,
        lang,
    )
    .await
}

/// SHA-256 (hex) of what is signed: the application's number, channel, business type and
/// content, as canonical JSON (fields in a fixed order, maps sorted).
pub fn signing_digest(application: &Application) -> Result<String, ServiceError> {
    let signed = serde_json::json!({
        "application": application.number,
        "channel": application.channel.code,
        "business": application.business.as_str(),
        "content": application.content,
    });
    let bytes = serde_json::to_vec(&signed).map_err(|e| ServiceError::internal("digest", e))?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    Ok(hex::encode(digest.as_ref()))
}

/// Submits version `version` of the application (the one the confirmation page showed),
/// signed with `code`. A wrong code counts a try and changes nothing else.
pub async fn submit(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    code: &str,
) -> Result<Signature, ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let current = application::assemble(app, &record).await?;
    check_ready(&current)?;
    if version != current.version {
        return Err(application::changed_meanwhile());
    }
    let mut tx = sms_codes::verify(
        app,
        tx,
        &applicant.phone,
        CodePurpose::SignApplication,
        code,
    )
    .await?;
    let digest = signing_digest(&current)?;
    let phone = applicant.phone.masked();
    application::change_status(
        &mut tx,
        applicant.actor(),
        &record,
        current.pipeline,
        ApplicationEvent::Submit,
        AuditAction::ApplicationSubmit,
        serde_json::json!({"digest": digest, "phone": phone, "version": version}),
    )
    .await?;
    store::applications::set_signature(&mut tx, id, &digest, &phone).await?;
    application::settle_payment(&mut tx, app, applicant.actor(), id).await?;
    let at = tx.now().seconds();
    tx.commit().await?;
    Ok(Signature { digest, at, phone })
}
