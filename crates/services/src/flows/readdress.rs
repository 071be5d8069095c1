//! 修改邮寄地址: the customer changes where the keys will be sent, until the application is
//! reviewed (seed 002: 在证书业务审核前可修改地址; after review only the hotline can help,
//! before the parcel leaves). The change is signed like the submission, with an SMS code to
//! the account's phone: the recorded signature then covers the application as it now
//! stands, and a stolen session alone cannot send a customer's keys elsewhere. The status
//! does not change.

use domain::application::Shipping;
use domain::{AddressInput, ApplicationStatus, AuditAction, Lang};

use super::application::{self, Applicant, Application, Signature};
use crate::people::sms_codes::{self, CodePurpose, CodeSent};
use crate::{App, ErrorKind, ServiceError};

/// Where the mailing address can still be changed online: submitted, not reviewed yet.
const ALLOWED: [ApplicationStatus; 3] = [
    ApplicationStatus::Submitted,
    ApplicationStatus::AwaitingPayment,
    ApplicationStatus::PaymentException,
];

/// Whether the mailing address of an application in `status` can still be changed here.
pub fn allowed_in(status: ApplicationStatus) -> bool {
    ALLOWED.contains(&status)
}

fn check(application: &Application) -> Result<(), ServiceError> {
    if application.content.shipping.is_none() {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "not_shipped",
            "this application is not sent by courier",
            "该申请不邮寄，无需修改邮寄地址",
        )
        .with_field("address"));
    }
    if application.status == ApplicationStatus::Draft {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "still_draft",
            "the application is still being filled in: change the address in its delivery step",
            "申请仍在填写中，请在“配送与发票”步骤中修改地址",
        )
        .with_field("address"));
    }
    if !allowed_in(application.status) {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "already_reviewed",
            format!(
                "the application is {}: the address can no longer be changed online; call the hotline before the keys are shipped",
                application.status.name_en()
            ),
            format!(
                "申请当前状态为“{}”，已不能在线修改邮寄地址；如尚未寄出，请尽快致电客服协助修改",
                application.status.name_zh()
            ),
        )
        .with_field("address"));
    }
    Ok(())
}

/// Sends the code that signs the change to the account's phone.
pub async fn send_code(
    app: &App,
    applicant: &Applicant,
    id: i64,
    ip: &str,
    lang: Lang,
) -> Result<CodeSent, ServiceError> {
    let application = application::get(app, applicant, id).await?;
    check(&application)?;
    sms_codes::send(
        app,
        applicant.phone.as_str(),
        CodePurpose::SignApplication,
        ip,
        lang,
    )
    .await
}

/// Sends the keys of version `version` of the application to `address`, signed with
/// `code`. Returns the new version and its signature. A wrong code counts a try and
/// changes nothing else.
pub async fn readdress(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    address: &AddressInput,
    code: &str,
) -> Result<(i64, Signature), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let current = application::assemble(app, &record).await?;
    check(&current)?;
    if version != current.version {
        return Err(application::changed_meanwhile());
    }
    let courier = current
        .content
        .shipping
        .as_ref()
        .map(|s| s.courier.clone())
        .unwrap_or_default();
    // Checked before the code is spent: a typing mistake keeps the code usable.
    let shipping = Shipping::parse(&courier, address, &current.channel)?;
    let mut tx = sms_codes::verify(
        app,
        tx,
        &applicant.phone,
        CodePurpose::SignApplication,
        code,
    )
    .await?;
    let mut content = current.content.clone();
    content.shipping = Some(shipping);
    let new_version =
        application::save(&mut tx, app, &record, version, &current.channel, &content).await?;
    let amended = Application {
        content,
        version: new_version,
        ..current
    };
    let digest = super::submit::signing_digest(&amended)?;
    let phone = applicant.phone.masked();
    crate::audit::record(
        &mut tx,
        applicant.actor(),
        AuditAction::ApplicationReaddress,
        application::object(id),
        serde_json::json!({"digest": digest, "phone": phone, "version": new_version}),
    )
    .await?;
    // A reviewer who took it meanwhile wins: nothing of this is kept.
    let allowed: Vec<&str> = ALLOWED.iter().map(|s| domain::Status::as_str(*s)).collect();
    if !store::applications::sign_again(&mut tx, id, &digest, &phone, &allowed).await? {
        return Err(application::changed_meanwhile());
    }
    let at = tx.now().seconds();
    tx.commit().await?;
    Ok((new_version, Signature { digest, at, phone }))
}
