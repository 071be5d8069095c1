//! Applying (申请): the customer starts an application in a channel and fills it in step by
//! step; each step is saved as it is completed, in one transaction with its audit event,
//! so leaving and coming back continues where the customer was (未完成订单). A step is
//! checked whole before anything is written: a refused step changes nothing. Only a
//! draft (填写中) can be changed; a submitted or rejected application is first taken back
//! ([`crate::flows::edit`]). Transitions: none (a new row starts as `Draft`).

use domain::application::{
    Accepted, Agent, AgentForm, Content, Individual, IndividualForm, Invoice, InvoiceForm,
    Organisation, OrganisationForm, ProductChoice, Shipping, Step, Subject,
};
use domain::channel::Holder;
use domain::{Address, AddressInput, AuditAction, BusinessType, Channel};
use store::applications::NewApplication;

use super::application::{self, Applicant, not_found};
use crate::{App, ErrorKind, ServiceError};

/// Step 1: the channel, product, validity and quantity.
#[derive(Debug, Clone)]
pub struct ProductInput {
    pub product: String,
    pub years: u32,
    pub quantity: u32,
}

/// Starts a new-certificate application in `channel_code`; returns its id.
pub async fn start(
    app: &App,
    applicant: &Applicant,
    channel_code: &str,
    input: &ProductInput,
) -> Result<i64, ServiceError> {
    let (channel, content) = prepare(app, applicant.clerk.is_some(), channel_code, input).await?;
    let mut tx = app.store.begin_write().await?;
    let id = start_in(&mut tx, app, applicant, &channel, &content).await?;
    tx.commit().await?;
    Ok(id)
}

/// Step 1 checked, before anything is written: the channel offers new certificates online
/// (or at its counter), and the product, validity and quantity are among its own.
pub(crate) async fn prepare(
    app: &App,
    at_counter: bool,
    channel_code: &str,
    input: &ProductInput,
) -> Result<(Channel, Content), ServiceError> {
    let channel = crate::hall::channels::get_enabled(app, channel_code).await?;
    let offered = channel
        .business
        .get(&BusinessType::New)
        .is_some_and(|rule| {
            if at_counter {
                rule.counter
            } else {
                rule.online
            }
        });
    if !offered {
        return Err(if at_counter {
            ServiceError::new(
                ErrorKind::Invalid,
                "not_offered",
                format!("channel {channel_code} does not take new certificates at the counter"),
                "该渠道不提供现场办理新证书",
            )
        } else {
            ServiceError::new(
                ErrorKind::Invalid,
                "not_offered",
                format!("channel {channel_code} does not offer new certificates online"),
                "该渠道不提供网上新办证书",
            )
        }
        .with_field("channel"));
    }
    let (choice, holder) =
        ProductChoice::parse(&channel, &input.product, input.years, input.quantity)?;
    Ok((channel, Content::new(choice, holder)))
}

/// Writes the new draft of [`prepare`]'s answer in the caller's transaction.
pub(crate) async fn start_in(
    tx: &mut store::WriteTx,
    app: &App,
    applicant: &Applicant,
    channel: &Channel,
    content: &Content,
) -> Result<i64, ServiceError> {
    let id = store::applications::insert(
        tx,
        &NewApplication {
            customer_id: applicant.customer_id,
            channel_code: &channel.code,
            business: BusinessType::New.as_str(),
            next_step: Step::Subject.as_str(),
            entered_by: applicant.clerk,
        },
    )
    .await?;
    let record = store::applications::find_in(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    application::save(tx, app, &record, 0, channel, content).await?;
    crate::audit::record(
        tx,
        applicant.actor(),
        AuditAction::ApplicationStart,
        application::object(id),
        serde_json::json!({
            "channel": channel.code, "business": BusinessType::New.as_str(),
            "product": content.product.product, "years": content.product.years,
            "quantity": content.product.quantity, "to": "draft",
            "counter": applicant.clerk.is_some(),
        }),
    )
    .await?;
    Ok(id)
}

/// Loads the customer's draft, lets `change` fill in a step, and saves it with its audit
/// event; nothing is written when `change` refuses. Returns the new version.
async fn fill(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    step: Step,
    change: impl FnOnce(&mut Content, &Channel) -> Result<(), ServiceError>,
) -> Result<i64, ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let new_version = fill_in(&mut tx, app, applicant, id, version, step, change).await?;
    tx.commit().await?;
    Ok(new_version)
}

/// [`fill`] inside the caller's transaction, which the caller commits.
async fn fill_in(
    tx: &mut store::WriteTx,
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    step: Step,
    change: impl FnOnce(&mut Content, &Channel) -> Result<(), ServiceError>,
) -> Result<i64, ServiceError> {
    let record = application::own(tx, applicant, id).await?;
    let current = application::assemble(app, &record).await?;
    if !current.is_editable() {
        return Err(application::not_editable(current.status));
    }
    let mut content = current.content.clone();
    change(&mut content, &current.channel)?;
    // A verification is of the data it checked.
    content.keep_verification_of(&current.content);
    let new_version =
        application::save(tx, app, &record, version, &current.channel, &content).await?;
    crate::audit::record(
        tx,
        applicant.actor(),
        AuditAction::ApplicationSave,
        application::object(id),
        serde_json::json!({"step": step.as_str()}),
    )
    .await?;
    Ok(new_version)
}

/// Step 1 again: another product, validity or quantity in the same channel.
pub async fn choose_product(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    input: &ProductInput,
) -> Result<i64, ServiceError> {
    fill(
        app,
        applicant,
        id,
        version,
        Step::Product,
        |content, channel| {
            let (choice, holder) =
                ProductChoice::parse(channel, &input.product, input.years, input.quantity)?;
            if holder != content.holder {
                // The holder's data would no longer fit: start a new application instead.
                return Err(ServiceError::new(
                    ErrorKind::Invalid,
                    "holder_changed",
                    "this product is for another kind of holder; start a new application for it",
                    "该产品的证书主体类型不同，请重新发起申请",
                )
                .with_field("product"));
            }
            content.product = choice;
            Ok(())
        },
    )
    .await
}

/// Step 2, as typed: an organisation or a person, by the product's holder.
#[derive(Debug, Clone)]
pub enum SubjectInput {
    Organisation(OrganisationForm),
    Individual(IndividualForm),
}

pub async fn describe_subject(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    input: &SubjectInput,
) -> Result<i64, ServiceError> {
    let today = app.today();
    fill(
        app,
        applicant,
        id,
        version,
        Step::Subject,
        |content, channel| {
            let subject = match (content.holder, input) {
                (Holder::Organization, SubjectInput::Organisation(form)) => {
                    Subject::Organisation(Organisation::parse(form, channel)?)
                }
                (Holder::Individual, SubjectInput::Individual(form)) => {
                    Subject::Individual(Individual::parse(form, today)?)
                }
                (Holder::Organization, _) => return Err(wrong_holder("organisation")),
                (Holder::Individual, _) => return Err(wrong_holder("individual")),
            };
            content.subject = Some(subject);
            Ok(())
        },
    )
    .await
}

fn wrong_holder(expected: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::Invalid,
        "wrong_holder",
        format!("this product is for an {expected}: give its data"),
        if expected == "organisation" {
            "该产品为单位证书，请填写单位信息"
        } else {
            "该产品为个人证书，请填写个人信息"
        },
    )
    .with_field("holder")
}

/// Step 3: the agent; the mobile is the account's.
pub async fn describe_agent(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    form: &AgentForm,
) -> Result<i64, ServiceError> {
    let today = app.today();
    let agent = Agent::parse(form, &applicant.phone, today)?;
    fill(app, applicant, id, version, Step::Agent, |content, _| {
        content.agent = Some(agent);
        Ok(())
    })
    .await
}

/// Step 4: delivery and invoice.
#[derive(Debug, Clone)]
pub struct DeliveryInput {
    pub courier: String,
    pub address: AddressInput,
    /// Also keep the address in the address book (地址维护).
    pub save_address: bool,
    pub invoice: InvoiceForm,
}

pub async fn choose_delivery(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    input: &DeliveryInput,
) -> Result<i64, ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let mut saved_address = None;
    let change = |content: &mut Content, channel: &Channel| {
        let holder = content
            .subject
            .as_ref()
            .map(|s| s.name().to_string())
            .ok_or_else(|| step_first(Step::Subject))?;
        if channel.ships() {
            let shipping = Shipping::parse(&input.courier, &input.address, channel)?;
            if input.save_address {
                saved_address = Some(Address::parse(&shipping.address)?);
            }
            content.shipping = Some(shipping);
        }
        content.invoice = Some(Invoice::parse(&input.invoice, channel, &holder)?);
        Ok(())
    };
    let version = fill_in(&mut tx, app, applicant, id, version, Step::Delivery, change).await?;
    if let Some(address) = saved_address {
        crate::people::profiles::add_address_in(
            &mut tx,
            applicant.customer_id,
            applicant.actor(),
            &address,
            false,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(version)
}

fn step_first(step: Step) -> ServiceError {
    ServiceError::new(
        ErrorKind::Invalid,
        "step_missing",
        format!("fill in the step {} first", step.name_en()),
        format!("请先完成“{}”", step.name_zh()),
    )
    .with_field(step.as_str())
}

/// The version of the channel's agreement as shown: the SHA-256 of its text, so that what
/// was accepted is known exactly even after the channel's text changes.
pub fn agreement_version(channel: &Channel) -> String {
    let text = format!(
        "{}\n{}\n{}\n{}",
        channel.agreement.title_zh,
        channel.agreement.zh,
        channel.agreement.title_en,
        channel.agreement.en
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    hex::encode(&digest.as_ref()[..8])
}

/// Step 6: the channel's agreement, accepted in the version the customer read.
pub async fn accept_agreement(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    agreement_read: &str,
) -> Result<i64, ServiceError> {
    let now = app.now().seconds();
    fill(
        app,
        applicant,
        id,
        version,
        Step::Agreement,
        |content, channel| {
            let current = agreement_version(channel);
            if agreement_read != current {
                return Err(ServiceError::new(
                    ErrorKind::Conflict,
                    "agreement_changed",
                    "the agreement has changed since it was shown; read it again",
                    "协议内容已更新，请重新阅读后再同意",
                )
                .with_field("agreement_version"));
            }
            content.agreement = Some(Accepted {
                version: current,
                at: now,
            });
            Ok(())
        },
    )
    .await
}
