//! Printing (打印): the authorisation letter (实名认证申请授权书, organisations) and the
//! application form (申请表) of an application, as PDFs made from its data
//! ([`crate::documents::pdf`]), for its customer and for operators who read applications.
//! Each carries a check code over exactly the data printed; the console shows the code
//! the current data give, so a letter printed before a change does not pass for the
//! current one. Where the channel says so (seed 002) the form is not printable once the
//! application is reviewed. Where the channel has paper mailed in (seed 003), the receipt
//! (申请回执单) of a submitted application says what goes in the envelope and where it
//! goes. Transitions: none.

use domain::ApplicationStatus;
use domain::application::{Registration, Subject};
use domain::time::{ChinaDate, UnixTime};

use super::application::{self, Application, not_found};
use crate::documents::pdf::{self, Row, Sheet};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// What can be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printable {
    AuthorisationLetter,
    ApplicationForm,
    /// 申请回执单: mailed with the stamped papers, where the channel wants paper.
    Receipt,
}

impl Printable {
    pub fn parse(text: &str) -> Option<Printable> {
        match text {
            "letter" => Some(Printable::AuthorisationLetter),
            "form" => Some(Printable::ApplicationForm),
            "receipt" => Some(Printable::Receipt),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Printable::AuthorisationLetter => "letter",
            Printable::ApplicationForm => "form",
            Printable::Receipt => "receipt",
        }
    }
}

fn unavailable(en: &str, zh: &str) -> ServiceError {
    ServiceError::new(ErrorKind::Conflict, "not_printable", en, zh).with_field("pdf")
}

fn registration_rows(registration: &Registration) -> Vec<Row> {
    match registration {
        Registration::Uscc { uscc } => vec![("统一社会信用代码".into(), uscc.to_string())],
        Registration::Licence {
            licence_number,
            organisation_code,
        } => vec![
            ("营业执照注册号".into(), licence_number.to_string()),
            ("组织机构代码".into(), organisation_code.display()),
        ],
    }
}

pub(crate) fn product_line(a: &Application) -> String {
    let product = a
        .channel
        .products
        .iter()
        .find(|p| p.code == a.content.product.product)
        .map(|p| p.name_zh.clone())
        .unwrap_or_default();
    format!(
        "{} · {product} · {}年 × {}",
        a.business.name_zh(),
        a.content.product.years,
        a.content.product.quantity
    )
}

/// The rows a PDF of `a` prints, or why it cannot be printed now.
fn rows(a: &Application, what: Printable) -> Result<Vec<Row>, ServiceError> {
    let (Some(subject), Some(agent)) = (&a.content.subject, &a.content.agent) else {
        return Err(unavailable(
            "fill in the holder and the agent first",
            "请先填写主体信息和经办人信息",
        ));
    };
    let mut rows: Vec<Row> = Vec::new();
    if what == Printable::Receipt {
        return Ok(receipt_rows(a, subject, agent));
    }
    match subject {
        Subject::Organisation(o) => {
            rows.push(("单位名称".into(), o.name.clone()));
            rows.extend(registration_rows(&o.registration));
            rows.push(("单位性质".into(), o.nature.name_zh().into()));
            if let Some(d) = &o.department {
                rows.push(("部门名称".into(), d.clone()));
            }
        }
        Subject::Individual(i) => {
            if what == Printable::AuthorisationLetter {
                return Err(unavailable(
                    "an individual certificate needs no authorisation letter",
                    "个人证书无需授权书",
                ));
            }
            rows.push(("姓名".into(), i.name.clone()));
            rows.push(("身份证号码".into(), i.id_number.clone()));
            rows.push(("地址".into(), i.address.clone()));
        }
    }
    rows.push(("经办人姓名".into(), agent.name.clone()));
    rows.push(("经办人身份证号码".into(), agent.id_number.clone()));
    rows.push(("经办人手机号码".into(), agent.mobile.to_string()));
    rows.push(("经办人电子邮箱".into(), agent.email.clone()));
    rows.push(("业务渠道".into(), a.channel.name_zh.clone()));
    rows.push(("申请业务".into(), product_line(a)));
    if what == Printable::ApplicationForm {
        if let Some(shipping) = &a.content.shipping {
            let s = &shipping.address;
            rows.push((
                "邮寄地址".into(),
                format!(
                    "{} {} {} {} {}（{} {}）",
                    s.province,
                    s.city,
                    s.district,
                    s.detail,
                    s.postal_code.clone().unwrap_or_default(),
                    s.recipient,
                    s.phone
                ),
            ));
        }
        if let Some(invoice) = &a.content.invoice {
            rows.push(("发票".into(), invoice.summary(domain::Lang::Zh)));
        }
        if let Some(price) = a.price {
            rows.push(("金额".into(), price.to_string()));
        }
    }
    Ok(rows)
}

/// The receipt names the holder and the business, not the identity numbers: it travels
/// on top of the papers.
fn receipt_rows(
    a: &Application,
    subject: &Subject,
    agent: &domain::application::Agent,
) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    match subject {
        Subject::Organisation(o) => {
            rows.push(("单位名称".into(), o.name.clone()));
            rows.extend(registration_rows(&o.registration));
        }
        Subject::Individual(i) => rows.push(("姓名".into(), i.name.clone())),
    }
    rows.push(("经办人".into(), format!("{} {}", agent.name, agent.mobile)));
    rows.push(("业务渠道".into(), a.channel.name_zh.clone()));
    rows.push(("申请业务".into(), product_line(a)));
    if let Some(signed) = &a.signed {
        rows.push((
            "提交日期".into(),
            chinese_date(UnixTime::from_seconds(signed.at).china_date()),
        ));
    }
    rows
}

fn chinese_date(day: ChinaDate) -> String {
    format!("{}年{:02}月{:02}日", day.year(), day.month(), day.day())
}

/// The check code of `rows`: 8 characters of an HMAC over exactly what is printed.
fn check_code(app: &App, a: &Application, what: Printable, rows: &[Row]) -> String {
    let message = serde_json::json!({"kind": what.as_str(), "number": a.number, "rows": rows});
    let tag = aws_lc_rs::hmac::sign(app.secrets.print_check(), message.to_string().as_bytes());
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bits = tag.as_ref()[..5]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let code: String = (0..8)
        .map(|i| char::from(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize]))
        .collect();
    format!("{}-{}", &code[..4], &code[4..])
}

/// The check code the current data of `a` give for `what` (the console shows it beside
/// the uploaded letter).
pub fn current_check_code(app: &App, a: &Application, what: Printable) -> Option<String> {
    rows(a, what).ok().map(|r| check_code(app, a, what, &r))
}

fn sheet(app: &App, a: &Application, what: Printable) -> Result<Sheet, ServiceError> {
    if what == Printable::ApplicationForm
        && !a.channel.form_printable_after_review
        && !matches!(
            a.status,
            ApplicationStatus::Draft
                | ApplicationStatus::Submitted
                | ApplicationStatus::UnderReview
        )
    {
        return Err(unavailable(
            "this channel's application form cannot be printed once the application is reviewed",
            "本渠道的申请表在审核后不能再打印",
        ));
    }
    if a.status == ApplicationStatus::Cancelled {
        return Err(unavailable("the application is cancelled", "申请已取消"));
    }
    // What goes in the envelope, and where it goes: the receipt's paragraphs.
    let mut mailing = Vec::new();
    if what == Printable::Receipt {
        let Some(mail) = &a.channel.mail_in else {
            return Err(unavailable(
                "this channel needs nothing mailed in",
                "本渠道无需邮寄纸质材料",
            ));
        };
        if a.status == ApplicationStatus::Draft {
            return Err(unavailable(
                "the receipt is printed once the application is submitted",
                "申请提交后才能打印回执单",
            ));
        }
        mailing.push(format!(
            "请将以下材料一并邮寄至：{}（{} 收，电话 {}）。收到材料后我们开始办理，办理进度可在“我的申请”中查看。",
            mail.address_zh, mail.recipient, mail.phone
        ));
        mailing.extend(
            mail.items_zh
                .iter()
                .enumerate()
                .map(|(i, item)| format!("{}. {item}", i + 1)),
        );
    }
    let rows = rows(a, what)?;
    let code = check_code(app, a, what, &rows);
    let date = chinese_date(app.today());
    let site = &app.hall.site;
    let footer = format!("{} · 服务热线 {}", site.ca_name_zh, site.hotline);
    let organisation = matches!(a.content.subject, Some(Subject::Organisation(_)));
    Ok(match what {
        Printable::AuthorisationLetter => Sheet {
            title: "实名认证申请授权书".into(),
            number: a.number.clone(),
            rows,
            paragraphs: vec![
                format!(
                    "兹授权上述经办人代表本单位向{}办理数字证书申请、实名认证及相关业务。经办人所提交的信息和资料真实、准确、完整，本单位对经办人在授权范围内的行为承担相应的法律责任。",
                    site.ca_name_zh
                ),
                "本授权书打印后信息不可更改，更改后无效。请加盖单位公章后拍照上传。".into(),
            ],
            seal: Some("（加盖单位公章）".into()),
            date,
            check_code: code,
            footer,
        },
        Printable::ApplicationForm => Sheet {
            title: "数字证书申请表".into(),
            number: a.number.clone(),
            rows,
            paragraphs: vec![
                "申请人承诺所填信息真实、准确、完整，并已阅读、同意本渠道的数字证书服务协议。"
                    .into(),
            ],
            seal: Some(if organisation {
                "（加盖单位公章）".into()
            } else {
                "（申请人签字）".into()
            }),
            date,
            check_code: code,
            footer,
        },
        Printable::Receipt => Sheet {
            title: "申请回执单".into(),
            number: a.number.clone(),
            rows,
            paragraphs: mailing,
            seal: None,
            date,
            check_code: code,
            footer,
        },
    })
}

/// The PDF of `what` for application `id`: for its customer, or an operator who reads
/// applications.
pub async fn print(
    app: &App,
    actor: &Actor,
    id: i64,
    what: Printable,
) -> Result<(String, Vec<u8>), ServiceError> {
    let record = match actor {
        Actor::Customer(customer) => {
            store::applications::find_for_customer(&app.store, id, *customer).await?
        }
        other => {
            other.require_any(&application::READERS)?;
            let found = store::applications::find(&app.store, id).await?;
            if found.is_some() {
                // The PDFs print ID numbers: an operator's look is audited like a document's.
                let mut tx = app.store.begin_write().await?;
                crate::audit::record(
                    &mut tx,
                    other,
                    domain::AuditAction::ApplicationDocumentView,
                    application::object(id),
                    serde_json::json!({"pdf": what.as_str()}),
                )
                .await?;
                tx.commit().await?;
            }
            found
        }
    }
    .ok_or_else(|| not_found(id))?;
    let a = application::assemble(app, &record).await?;
    let sheet = sheet(app, &a, what)?;
    let font = app.pdf_font().await?;
    let bytes = tokio::task::spawn_blocking(move || pdf::render(&font, &sheet))
        .await
        .map_err(|e| ServiceError::internal("pdf", e))??;
    let name = format!("{}-{}.pdf", a.number, what.as_str());
    Ok((name, bytes))
}
