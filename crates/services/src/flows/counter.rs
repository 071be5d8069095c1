//! At the counter (现场办理): a counter clerk takes an application for a customer who came
//! in person. The clerk names the customer by mobile number; a number without an account
//! gets one (without a password: the customer is told by SMS to set one with 忘记密码, then
//! follows the application online). From then on the clerk fills in the application
//! through the same verbs as the customer ([`super::apply`], [`super::verify`],
//! [`super::upload`], [`super::submit`]) with an [`Applicant`] that names the clerk: the
//! same checks, the signing code sent to the customer's phone and read out at the counter,
//! every step audited as the clerk's. The application is marked as counter business
//! (`entered_by`), which the separation of duties reads (the clerk may not review it when
//! configured so), and a clerk reaches only applications entered at the counter.
//! Transitions: none of its own (a new row starts as `Draft`).

use domain::{Lang, Role};

use super::application::{self, Applicant, Application, not_found};
use super::apply::{self, ProductInput};
use crate::notifications::{self, Recipient, Template};
use crate::people::accounts::parse_phone;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// The roles that do counter business.
pub const CLERKS: [Role; 2] = [Role::Counter, Role::Admin];

/// Whom the clerk applies for, and what.
#[derive(Debug, Clone)]
pub struct CounterInput {
    /// The customer's (the agent's) mobile number.
    pub phone: String,
    pub channel: String,
    pub product: ProductInput,
}

fn operator_id(actor: &Actor) -> Option<i64> {
    match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    }
}

/// Starts a new-certificate application at the counter; returns its id. The account is
/// found or opened, and the application started, in one transaction: a refused product
/// opens no account.
pub async fn accept(app: &App, clerk: &Actor, input: &CounterInput) -> Result<i64, ServiceError> {
    clerk.require_any(&CLERKS)?;
    let Some(clerk_id) = operator_id(clerk) else {
        // Counter business is recorded against the clerk's operator account.
        return Err(ServiceError::new(
            ErrorKind::Forbidden,
            "operator_required",
            "counter business is done by a clerk logged in to the console",
            "现场办理需由受理员登录管理平台办理",
        ));
    };
    let phone = parse_phone(&input.phone)?;
    let (channel, content) = apply::prepare(app, true, &input.channel, &input.product).await?;
    let mut tx = app.store.begin_write().await?;
    let (customer_id, opened) =
        crate::people::accounts::open_at_counter(&mut tx, clerk, &phone).await?;
    let applicant = Applicant {
        customer_id,
        phone: phone.clone(),
        actor: clerk.clone(),
        clerk: Some(clerk_id),
    };
    let id = apply::start_in(&mut tx, app, &applicant, &channel, &content).await?;
    if opened {
        let created = tx.now().seconds();
        let site = &app.hall.site;
        notifications::enqueue(
            &mut tx,
            &Recipient::Sms(phone),
            &Template::CounterAccountOpened {
                site: site.ca_name_zh.clone(),
                number: application::number(id, created),
            },
            Lang::Zh,
            &format!("counter-account:{customer_id}"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The clerk's [`Applicant`] for application `id`, which must have been entered at the
/// counter (another is "not found").
pub async fn applicant(app: &App, clerk: &Actor, id: i64) -> Result<Applicant, ServiceError> {
    clerk.require_any(&CLERKS)?;
    let record = store::applications::find(&app.store, id)
        .await?
        .filter(|r| r.entered_by.is_some())
        .ok_or_else(|| not_found(id))?;
    let customer = store::customers::find_by_id(&app.store, record.customer_id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Applicant {
        customer_id: customer.id,
        phone: customer
            .phone
            .parse()
            .map_err(|e| ServiceError::internal("customer phone", e))?,
        actor: clerk.clone(),
        clerk: operator_id(clerk),
    })
}

/// The applications entered at the counter, newest first.
pub async fn list(app: &App, clerk: &Actor) -> Result<Vec<Application>, ServiceError> {
    clerk.require_any(&CLERKS)?;
    let mut list = Vec::new();
    for record in store::applications::entered_at_counter(&app.store, 200).await? {
        list.push(application::assemble(app, &record).await?);
    }
    Ok(list)
}
