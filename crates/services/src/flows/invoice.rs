//! Invoices (发票). The customer chose the invoice with each application (electronic
//! normal by default, paper normal, VAT special with the taxpayer's details; the title
//! fixed to the holder where the channel says so). When the order is paid, one invoice is
//! requested per distinct choice of its applications ([`request_for_order`]), due by the
//! channel's promise: an electronic one within a day (seed 001: 24 hours after online
//! payment), a paper one within `paper_within_days` (seed 000: a month).
//!
//! Finance's queue lists the requests, the earliest due first, then the paper invoices
//! waiting to be mailed. Finance issues each: attaching the issued file (PDF, and the
//! 数电票's OFD or XML), or having the invoicing provider issue it, with the request's
//! fixed number (asked again, it answers the same invoice); electronic normal invoices are
//! issued by the provider on their own ([`issue_due`], a background round) where one is
//! configured. The customer downloads the files from the order and gets an e-mail; a paper
//! invoice is mailed with its courier and tracking number. A refunded order's requests are
//! withdrawn. Files are sealed in the blob store like documents.
//!
//! Transitions: `Requested → Issued`, `Issued → Mailed` (paper), `Requested → Withdrawn`.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use domain::application::content::Invoice;
use domain::channel::InvoiceKind;
use domain::invoice::{InvoiceEvent, InvoiceStatus};
use domain::{AuditAction, Fen, Lang, Role, text};
use providers::invoicing::{
    InvoiceDraft, InvoiceIssuer, InvoiceLine, InvoiceRenderer, InvoicingError, IssuedInvoice,
};
use store::WriteTx;
use store::invoices::{InvoiceRecord, NewInvoice, StoredFile};
use store::orders::OrderRecord;

use super::{application, order};
use crate::documents::pdf::{FontSettings, PdfFont, Sheet};
use crate::documents::{self, Binding};
use crate::notifications::{self, Recipient, Template};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Who issues invoices.
const ROLES: [Role; 1] = [Role::Finance];
/// Largest issued file finance may attach.
const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
const DAY: i64 = 86_400;

/// An invoice as finance and the customer see it.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub id: i64,
    pub order_id: i64,
    /// The order's number (订单号).
    pub order_number: String,
    pub request_no: String,
    pub kind: InvoiceKind,
    pub title: String,
    /// What was asked for, as stored.
    pub request: Invoice,
    pub amount: Fen,
    pub status: InvoiceStatus,
    pub due_at: i64,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    /// `ofd` or `xml`, when that file was issued too.
    pub other_format: Option<String>,
    pub courier: Option<String>,
    pub tracking_no: Option<String>,
    pub created_at: i64,
}

impl InvoiceView {
    fn of(record: InvoiceRecord, order_number: String) -> Result<InvoiceView, ServiceError> {
        let kind = kind_of(&record.kind)?;
        let request: Invoice = serde_json::from_str(&record.request)
            .map_err(|e| ServiceError::internal("invoice", e))?;
        Ok(InvoiceView {
            id: record.id,
            order_id: record.order_id,
            order_number,
            request_no: record.request_no,
            kind,
            title: record.title,
            request,
            amount: Fen(u64::try_from(record.amount_fen).unwrap_or_default()),
            status: record.status,
            due_at: record.due_at,
            number: record.number,
            issued_on: record.issued_on,
            other_format: record.other_format,
            courier: record.courier,
            tracking_no: record.tracking_no,
            created_at: record.created_at,
        })
    }

    pub fn is_paper(&self) -> bool {
        is_paper(self.kind)
    }

    /// Still to be issued (its promise stands).
    pub fn awaits_issue(&self) -> bool {
        self.status == InvoiceStatus::Requested
    }
}

fn kind_of(stored: &str) -> Result<InvoiceKind, ServiceError> {
    [
        InvoiceKind::ElectronicNormal,
        InvoiceKind::PaperNormal,
        InvoiceKind::VatSpecial,
    ]
    .into_iter()
    .find(|k| k.as_str() == stored)
    .ok_or_else(|| ServiceError::internal("invoice", "unknown invoice kind"))
}

/// Paper invoices are mailed (the VAT special invoice too: it is printed on the tax
/// authority's paper).
/// Whether a stored invoice kind is printed on paper (and mailed).
pub(crate) fn is_paper_kind(stored: &str) -> Result<bool, ServiceError> {
    Ok(is_paper(kind_of(stored)?))
}

fn is_paper(kind: InvoiceKind) -> bool {
    kind != InvoiceKind::ElectronicNormal
}

fn parts(invoice: &Invoice) -> Option<(InvoiceKind, &str)> {
    match invoice {
        Invoice::NotNeeded => None,
        Invoice::ElectronicNormal { title, .. } => Some((InvoiceKind::ElectronicNormal, title)),
        Invoice::PaperNormal { title } => Some((InvoiceKind::PaperNormal, title)),
        Invoice::VatSpecial { title, .. } => Some((InvoiceKind::VatSpecial, title)),
    }
}

/// Requests the invoices of paid order `record`: one per distinct invoice choice of its
/// applications, for the sum of their lines. In the transaction that pays the order.
pub(crate) async fn request_for_order(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    record: &OrderRecord,
) -> Result<(), ServiceError> {
    let channel = crate::hall::channels::stored_definition(app, &record.channel_code).await?;
    let mut wanted: BTreeMap<String, (Invoice, i64)> = BTreeMap::new();
    for item in store::orders::items_in(tx, record.id).await? {
        let Some(held) = store::applications::find_in(tx, item.application_id).await? else {
            continue;
        };
        let content = application::assemble(app, &held).await?.content;
        let Some(invoice) = content.invoice.filter(|i| *i != Invoice::NotNeeded) else {
            continue;
        };
        let key =
            serde_json::to_string(&invoice).map_err(|e| ServiceError::internal("invoice", e))?;
        wanted.entry(key).or_insert((invoice, 0)).1 += item.amount_fen;
    }
    // Paid in this transaction: the promise counts from now.
    let paid_at = tx.now().seconds();
    for (n, (request, (invoice, amount))) in wanted.into_iter().enumerate() {
        let Some((kind, title)) = parts(&invoice) else {
            continue;
        };
        let days = if is_paper(kind) {
            i64::from(channel.invoice.paper_within_days.unwrap_or(30))
        } else {
            1
        };
        let request_no = format!("FP{:010}{:02}", record.id, n + 1);
        let inserted = store::invoices::insert(
            tx,
            &NewInvoice {
                order_id: record.id,
                request_no: &request_no,
                kind: kind.as_str(),
                title,
                request: &request,
                amount_fen: amount,
                due_at: paid_at + days * DAY,
            },
        )
        .await?;
        if let Some(id) = inserted {
            crate::audit::record(
                tx,
                actor,
                AuditAction::InvoiceRequest,
                order::object(record.id),
                serde_json::json!({"invoice": id, "request_no": request_no, "kind": kind.as_str(), "amount_fen": amount}),
            )
            .await?;
        }
    }
    Ok(())
}

/// Withdraws the invoices of order `order_id` not issued yet (the order was refunded).
pub(crate) async fn withdraw_for_order(
    tx: &mut WriteTx,
    actor: &Actor,
    order_id: i64,
) -> Result<(), ServiceError> {
    for record in store::invoices::for_order_in(tx, order_id, InvoiceStatus::Requested).await? {
        let paper = is_paper(kind_of(&record.kind)?);
        let transition = record
            .status
            .apply(InvoiceEvent::Withdraw, paper)
            .map_err(|e| ServiceError::internal("invoice", e))?;
        store::transition::set(tx, record.id, transition).await?;
        crate::audit::record(
            tx,
            actor,
            AuditAction::InvoiceWithdraw,
            order::object(order_id),
            serde_json::json!({"invoice": record.id, "request_no": record.request_no}),
        )
        .await?;
    }
    Ok(())
}

/// The invoices of order `order_id` (the caller has checked who may read the order).
pub(crate) async fn of_order(
    app: &App,
    order_id: i64,
    order_number: &str,
) -> Result<Vec<InvoiceView>, ServiceError> {
    store::invoices::for_order(&app.store, order_id)
        .await?
        .into_iter()
        .map(|record| InvoiceView::of(record, order_number.to_string()))
        .collect()
}

/// The number of order `id`, for an invoice's view.
async fn order_number_of(app: &App, id: i64) -> Result<String, ServiceError> {
    let placed = store::orders::find(&app.store, id)
        .await?
        .ok_or_else(|| order::not_found(id))?;
    Ok(order::number(placed.id, placed.created_at))
}

/// One invoice in finance's queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub invoice: InvoiceView,
    /// Seconds past the promise (negative: still in time).
    pub overdue: i64,
}

/// Finance's queue: invoices to issue, the earliest due first, then paper invoices to mail.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<QueueItem>, ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let now = app.now().seconds();
    let mut items = Vec::new();
    let requested = store::invoices::in_status(&app.store, InvoiceStatus::Requested, None, 500);
    let to_mail = store::invoices::in_status(&app.store, InvoiceStatus::Issued, None, 500);
    for record in requested.await?.into_iter().chain(
        to_mail
            .await?
            .into_iter()
            .filter(|r| r.kind != "electronic_normal"),
    ) {
        let order_number = order_number_of(app, record.order_id).await?;
        items.push(QueueItem {
            overdue: now - record.due_at,
            invoice: InvoiceView::of(record, order_number)?,
        });
    }
    Ok(items)
}

fn not_found(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_invoice",
        format!("no invoice {id}"),
        "发票不存在",
    )
}

/// Invoice `id` for finance.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<InvoiceView, ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let record = store::invoices::find(&app.store, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let order_number = order_number_of(app, record.order_id).await?;
    InvoiceView::of(record, order_number)
}

/// The format of an uploaded invoice file, by its content: `pdf`, `ofd` (a zip package)
/// or `xml`; refused beyond the size limit or when it is none of them.
fn format_of(bytes: &[u8], field: &str) -> Result<&'static str, ServiceError> {
    let refuse = |en: &str, zh: &str| {
        ServiceError::new(ErrorKind::Invalid, "invalid_invoice_file", en, zh).with_field(field)
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refuse(
            "the file is larger than 5 MB",
            "发票文件不能超过 5 MB",
        ));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    if bytes.starts_with(b"%PDF-") {
        Ok("pdf")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Ok("ofd")
    } else if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("<?xml")
    {
        Ok("xml")
    } else {
        Err(refuse(
            "not an invoice file: a PDF, an OFD or an XML",
            "文件不是发票文件（PDF、OFD 或 XML）",
        ))
    }
}

/// Finance attaches invoice `id` as issued elsewhere: its number (数电票 20 digits, or the
/// 8 digits of an older invoice) and its PDF; the OFD or XML may follow ([`add_file`]).
pub async fn attach(
    app: &App,
    actor: &Actor,
    id: i64,
    number: &str,
    pdf: &[u8],
) -> Result<(), ServiceError> {
    actor.require_any(&ROLES)?;
    let number = number.trim();
    if !(number.len() == 20 || number.len() == 8) || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_invoice_number",
            "the invoice number has 20 digits (8 for an older invoice)",
            "发票号码应为20位数字（旧版发票为8位）",
        )
        .with_field("number"));
    }
    if format_of(pdf, "file")? != "pdf" {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_invoice_file",
            "attach the invoice's PDF first",
            "请先上传发票的 PDF 文件",
        )
        .with_field("file"));
    }
    let issued = IssuedInvoice {
        number: number.to_string(),
        issued_on: app.now().china_date().to_string(),
        pdf: pdf.to_vec(),
        xml: None,
    };
    record_issued(app, actor, id, issued, None, "attached").await
}

/// Finance adds the 数电票's OFD or XML to issued invoice `id` (once).
pub async fn add_file(app: &App, actor: &Actor, id: i64, bytes: &[u8]) -> Result<(), ServiceError> {
    actor.require_any(&ROLES)?;
    let format = format_of(bytes, "file")?;
    if format == "pdf" {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_invoice_file",
            "the PDF is attached already: add the OFD or the XML",
            "PDF 已上传，此处请上传 OFD 或 XML 文件",
        )
        .with_field("file"));
    }
    let sealed = documents::seal(app, &Binding::Invoice { invoice_id: id }, bytes)?;
    documents::store_all(app, &[&sealed]).await?;
    let outcome = async {
        let mut tx = app.store.begin_write().await?;
        let record = store::invoices::find_in(&mut tx, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if record.pdf_key.is_none() || record.other_key.is_some() {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "invalid_transition",
                "only an issued invoice without its OFD or XML takes one",
                "只能为已开具且尚无 OFD/XML 的发票补充文件",
            )
            .with_field("status"));
        }
        store::invoices::set_other(
            &mut tx,
            id,
            format,
            &StoredFile {
                key: &sealed.key,
                wrapped_key: &sealed.wrapped_key,
            },
        )
        .await?;
        crate::audit::record(
            &mut tx,
            actor,
            AuditAction::InvoiceIssue,
            order::object(record.order_id),
            serde_json::json!({"invoice": id, "added": format}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        documents::forget(app, std::slice::from_ref(&sealed.key)).await;
    }
    outcome
}

/// Has the invoicing provider issue invoice `id` (finance's button).
pub async fn issue_with_provider(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    actor.require_any(&ROLES)?;
    let record = store::invoices::find(&app.store, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    issue_one(app, actor, record).await
}

fn no_issuer() -> ServiceError {
    ServiceError::new(
        ErrorKind::Conflict,
        "no_invoicing_provider",
        "no invoicing service is configured: attach the issued file",
        "未配置开票服务，请上传已开具的发票文件",
    )
}

async fn issue_one(app: &App, actor: &Actor, record: InvoiceRecord) -> Result<(), ServiceError> {
    let issuer = app.invoicing.clone().ok_or_else(no_issuer)?;
    if record.status != InvoiceStatus::Requested {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            "the invoice is issued already",
            "该发票已开具",
        )
        .with_field("status"));
    }
    let placed = store::orders::find(&app.store, record.order_id)
        .await?
        .ok_or_else(|| order::not_found(record.order_id))?;
    let view = InvoiceView::of(record.clone(), order::number(placed.id, placed.created_at))?;
    let (taxpayer_id, address_phone, bank_account) = match &view.request {
        Invoice::VatSpecial {
            taxpayer_id,
            address_phone,
            bank,
            account,
            ..
        } => (
            Some(taxpayer_id.clone()),
            Some(address_phone.clone()),
            Some(format!("{bank} {account}")),
        ),
        _ => (None, None, None),
    };
    let mut lines = Vec::new();
    for item in store::orders::items(&app.store, placed.id).await? {
        lines.push(InvoiceLine {
            description: item.description,
            amount: Fen(u64::try_from(item.amount_fen).unwrap_or_default()),
        });
    }
    let draft = InvoiceDraft {
        request_no: record.request_no.clone(),
        kind: view.kind,
        title: view.title.clone(),
        taxpayer_id,
        address_phone,
        bank_account,
        seller: app.hall.site.ca_name_zh.clone(),
        order_number: order::number(placed.id, placed.created_at),
        lines,
        total: view.amount,
        issued_on: app.now().china_date().to_string(),
    };
    let issued = issuer.issue(&draft).await.map_err(|e| match e {
        InvoicingError::Unavailable(why) => ServiceError::new(
            ErrorKind::Unavailable,
            "invoicing_unavailable",
            format!("the invoicing service did not answer: {why}; try again"),
            "开票服务暂时不可用，请稍后重试",
        ),
        InvoicingError::Refused(why) => ServiceError::new(
            ErrorKind::Conflict,
            "invoicing_refused",
            format!("the invoicing service refused: {why}"),
            format!("开票服务拒绝开具：{why}"),
        ),
    })?;
    let other = issued.xml.clone().map(|xml| ("xml".to_string(), xml));
    record_issued(app, actor, record.id, issued, other, "provider").await
}

/// Seals and stores the issued files, then records the invoice as issued `by` finance
/// (`attached`) or the `provider`, and e-mails the customer. Once: a second recording is
/// refused by the invoice's table and the files it stored are forgotten.
async fn record_issued(
    app: &App,
    actor: &Actor,
    id: i64,
    issued: IssuedInvoice,
    other: Option<(String, Vec<u8>)>,
    by: &str,
) -> Result<(), ServiceError> {
    let pdf = documents::seal(app, &Binding::Invoice { invoice_id: id }, &issued.pdf)?;
    let other = match other {
        Some((format, bytes)) => Some((
            format,
            documents::seal(app, &Binding::Invoice { invoice_id: id }, &bytes)?,
        )),
        None => None,
    };
    let mut objects = vec![&pdf];
    objects.extend(other.as_ref().map(|(_, sealed)| sealed));
    documents::store_all(app, &objects).await?;
    let keys: Vec<String> = objects.iter().map(|o| o.key.clone()).collect();
    let outcome = async {
        let mut tx = app.store.begin_write().await?;
        let record = store::invoices::find_in(&mut tx, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let kind = kind_of(&record.kind)?;
        let transition = record
            .status
            .apply(InvoiceEvent::Issue, is_paper(kind))
            .map_err(|e| {
                ServiceError::new(
                    ErrorKind::Conflict,
                    "invalid_transition",
                    e.to_string(),
                    format!("发票当前状态为“{}”，不能开具", record.status.name_zh()),
                )
                .with_field("status")
            })?;
        store::transition::set(&mut tx, id, transition).await?;
        let operator = match actor {
            Actor::Operator { id, .. } => Some(*id),
            _ => None,
        };
        store::invoices::set_issued(
            &mut tx,
            id,
            &issued.number,
            &issued.issued_on,
            operator,
            &StoredFile {
                key: &pdf.key,
                wrapped_key: &pdf.wrapped_key,
            },
            other.as_ref().map(|(format, sealed)| {
                (
                    format.as_str(),
                    StoredFile {
                        key: &sealed.key,
                        wrapped_key: &sealed.wrapped_key,
                    },
                )
            }),
        )
        .await?;
        crate::audit::record(
            &mut tx,
            actor,
            AuditAction::InvoiceIssue,
            order::object(record.order_id),
            serde_json::json!({"invoice": id, "number": issued.number, "kind": record.kind,
                               "by": by}),
        )
        .await?;
        let request: Invoice = serde_json::from_str(&record.request)
            .map_err(|e| ServiceError::internal("invoice", e))?;
        if let Invoice::ElectronicNormal { email, .. } = request {
            let placed = store::orders::find_in(&mut tx, record.order_id)
                .await?
                .ok_or_else(|| order::not_found(record.order_id))?;
            let template = Template::InvoiceIssued {
                number: issued.number.clone(),
                order: order::number(placed.id, placed.created_at),
            };
            notifications::enqueue(
                &mut tx,
                &Recipient::Email(email),
                &template,
                Lang::Zh,
                &format!("invoice:{id}"),
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<(), ServiceError>(())
    }
    .await;
    if outcome.is_err() {
        // Nothing refers to the stored objects: they go.
        documents::forget(app, &keys).await;
    }
    outcome
}

/// Issues the requested electronic normal invoices through the invoicing provider, the
/// earliest due first (a background round; nothing without a provider). Returns how many.
pub async fn issue_due(app: &App) -> Result<u64, ServiceError> {
    if app.invoicing.is_none() {
        return Ok(0);
    }
    let mut issued = 0;
    let due = store::invoices::in_status(
        &app.store,
        InvoiceStatus::Requested,
        Some(InvoiceKind::ElectronicNormal.as_str()),
        100,
    )
    .await?;
    for record in due {
        match issue_one(app, &Actor::System, record).await {
            Ok(()) => issued += 1,
            Err(e) => tracing::warn!(error = %e, "invoice not issued; tried again next round"),
        }
    }
    Ok(issued)
}

/// Finance (or the shipper) mails paper invoice `id`: courier and tracking number; the
/// customer gets an SMS.
pub async fn mail(
    app: &App,
    actor: &Actor,
    id: i64,
    courier: &str,
    tracking_no: &str,
) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Finance, Role::Shipper])?;
    let courier = text::required("courier", courier, 32, "快递公司")?;
    // The courier is typed by name here: the general rule of a tracking number.
    let tracking_no = domain::courier::tracking_number("", tracking_no)?;
    let mut tx = app.store.begin_write().await?;
    let record = store::invoices::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    mail_in(&mut tx, actor, &record, &courier, &tracking_no).await?;
    let placed = store::orders::find_in(&mut tx, record.order_id)
        .await?
        .ok_or_else(|| order::not_found(record.order_id))?;
    let template = Template::InvoiceMailed {
        order: order::number(placed.id, placed.created_at),
        courier: courier.clone(),
        tracking_no: tracking_no.clone(),
    };
    order::tell_customer(&mut tx, &placed, &template, &format!("invoice-mail-{id}")).await?;
    tx.commit().await?;
    Ok(())
}

/// Paper invoice `record` mailed by `courier` (its name) with `tracking_no`, in `tx`: its
/// transition, the parcel and the audit event (the caller tells the customer).
pub(crate) async fn mail_in(
    tx: &mut WriteTx,
    actor: &Actor,
    record: &InvoiceRecord,
    courier: &str,
    tracking_no: &str,
) -> Result<(), ServiceError> {
    let transition = record
        .status
        .apply(InvoiceEvent::Mail, is_paper(kind_of(&record.kind)?))
        .map_err(|e| {
            ServiceError::new(
                ErrorKind::Conflict,
                "invalid_transition",
                e.to_string(),
                format!("发票当前状态为“{}”，不能寄出", record.status.name_zh()),
            )
            .with_field("status")
        })?;
    store::transition::set(tx, record.id, transition).await?;
    store::invoices::set_mailed(tx, record.id, courier, tracking_no).await?;
    crate::audit::record(
        tx,
        actor,
        AuditAction::InvoiceMail,
        order::object(record.order_id),
        serde_json::json!({"invoice": record.id, "courier": courier, "tracking_no": tracking_no}),
    )
    .await?;
    Ok(())
}

/// The paper invoices of order `order_id` issued and waiting to be mailed, in `tx`.
pub(crate) async fn paper_to_mail_in(
    tx: &mut WriteTx,
    order_id: i64,
) -> Result<Vec<InvoiceRecord>, ServiceError> {
    let mut found = Vec::new();
    for record in store::invoices::for_order_in(tx, order_id, InvoiceStatus::Issued).await? {
        if is_paper(kind_of(&record.kind)?) {
            found.push(record);
        }
    }
    Ok(found)
}

/// A file of an issued invoice: its bytes, content type and file name.
pub struct InvoiceFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub file_name: String,
}

/// The `format` file (`pdf`, `ofd`, `xml`) of invoice `id` of order `order_id`, for the
/// order's customer or finance (whose download is audited): another customer's is "not
/// found", as a missing one.
pub async fn download(
    app: &App,
    actor: &Actor,
    order_id: i64,
    id: i64,
    format: &str,
) -> Result<InvoiceFile, ServiceError> {
    // Who may read the order may read its invoices (the order's own check).
    order::get(app, actor, order_id).await?;
    let record = store::invoices::find(&app.store, id)
        .await?
        .filter(|r| r.order_id == order_id)
        .ok_or_else(|| not_found(id))?;
    let (key, wrapped) = match format {
        "pdf" => (record.pdf_key.clone(), record.pdf_wrapped_key.clone()),
        _ if record.other_format.as_deref() == Some(format) => {
            (record.other_key.clone(), record.other_wrapped_key.clone())
        }
        _ => (None, None),
    };
    let (Some(key), Some(wrapped)) = (key, wrapped) else {
        return Err(not_found(id));
    };
    if !matches!(actor, Actor::Customer(_)) {
        let mut tx = app.store.begin_write().await?;
        crate::audit::record(
            &mut tx,
            actor,
            AuditAction::InvoiceView,
            order::object(order_id),
            serde_json::json!({"invoice": id, "format": format}),
        )
        .await?;
        tx.commit().await?;
    }
    let bytes = documents::open(app, &Binding::Invoice { invoice_id: id }, &key, &wrapped).await?;
    let content_type = match format {
        "pdf" => "application/pdf",
        "ofd" => "application/ofd",
        _ => "application/xml",
    };
    Ok(InvoiceFile {
        bytes,
        content_type,
        file_name: format!(
            "fapiao-{}.{format}",
            record.number.unwrap_or(record.request_no)
        ),
    })
}

/// The sandbox invoicing platform, drawing its PDFs with CertHall's printing (the font of
/// `font`, loaded on the first invoice).
pub fn sandbox_issuer(font: FontSettings) -> Arc<dyn InvoiceIssuer> {
    Arc::new(providers::invoicing::sandbox::SandboxIssuer::new(Arc::new(
        SheetRenderer {
            settings: font,
            font: OnceLock::new(),
        },
    )))
}

struct SheetRenderer {
    settings: FontSettings,
    font: OnceLock<Result<PdfFont, String>>,
}

impl InvoiceRenderer for SheetRenderer {
    fn render(&self, draft: &InvoiceDraft, number: &str) -> Result<Vec<u8>, String> {
        let font = self
            .font
            .get_or_init(|| PdfFont::load(&self.settings))
            .as_ref()
            .map_err(Clone::clone)?;
        let mut rows = vec![
            ("发票号码".to_string(), number.to_string()),
            ("开票日期".to_string(), draft.issued_on.clone()),
            ("购买方名称".to_string(), draft.title.clone()),
        ];
        if let Some(id) = &draft.taxpayer_id {
            rows.push(("购买方纳税人识别号".into(), id.clone()));
        }
        if let Some(address) = &draft.address_phone {
            rows.push(("地址、电话".into(), address.clone()));
        }
        if let Some(bank) = &draft.bank_account {
            rows.push(("开户行及账号".into(), bank.clone()));
        }
        for line in &draft.lines {
            rows.push((line.description.clone(), format!("¥{}", line.amount.yuan())));
        }
        rows.push(("价税合计".into(), format!("¥{}", draft.total.yuan())));
        rows.push(("销售方名称".into(), draft.seller.clone()));
        rows.push(("备注".into(), format!("订单 {}", draft.order_number)));
        let sheet = Sheet {
            title: format!("{}（沙箱）", draft.kind.name_zh()),
            number: number.to_string(),
            rows,
            paragraphs: vec!["此发票由开票沙箱生成，仅供测试与演示，不是有效发票。".into()],
            seal: None,
            date: draft.issued_on.clone(),
            check_code: draft.request_no.clone(),
            footer: draft.seller.clone(),
        };
        crate::documents::pdf::render(font, &sheet).map_err(|e| e.to_string())
    }
}
