//! Channels (业务渠道/项目): the rules of one relying system's business — products, fees
//! per business type, payment methods, couriers, promises, custom fields, texts and
//! lifecycle rules. A channel is data (from the hall configuration, edited by admins); this
//! module gives it a type and checks that it is coherent, naming the field at fault.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::application::verification::Method;
use crate::business::BusinessType;
use crate::field_error::FieldError;
use crate::money::Fen;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Lowercase letters, digits and '-'; the entry URL is `/c/{code}`.
    pub code: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub name_zh: String,
    pub name_en: String,
    /// One paragraph shown on the channel's page.
    pub summary_zh: String,
    pub summary_en: String,
    pub relying_system: RelyingSystem,
    /// Who may apply: organisations (by kind) and/or individuals.
    pub applicants: Vec<ApplicantKind>,
    pub products: Vec<Product>,
    pub fees: Fees,
    /// The business offered, and how; a type missing here is not offered.
    pub business: BTreeMap<BusinessType, BusinessRule>,
    #[serde(default)]
    pub couriers: Vec<Courier>,
    /// Working days from an accepted (paid and reviewed) order to shipping.
    pub shipping_promise_working_days: u32,
    /// Working days for reviewing documents.
    pub review_promise_working_days: u32,
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
    pub agreement: Texts,
    #[serde(default)]
    pub authorization_letter: Option<Texts>,
    pub pin: PinPolicy,
    pub lifecycle: Lifecycle,
    pub invoice: InvoiceOptions,
    #[serde(default)]
    pub remittance: Option<Remittance>,
    /// Where counter business is done, when the channel has a counter.
    #[serde(default)]
    pub counter: Option<Counter>,
    /// The application form (申请表) may be printed after review (seed 003: until the
    /// application is done); `false` stops it once reviewed (seed 002).
    #[serde(default = "yes")]
    pub form_printable_after_review: bool,
    /// The real-name verification methods offered (seed 004); none: documents and a
    /// reviewer only.
    #[serde(default)]
    pub verification: VerificationOptions,
    /// Documents asked for beyond the standard ones (huanbao: the ten-ring certificate).
    #[serde(default)]
    pub documents: Vec<ExtraDocument>,
    /// Where payment sits: before review (seed 000: pay, then the CA reviews) or after
    /// it, before production (seed 003, the default).
    #[serde(default)]
    pub payment: PaymentTiming,
    /// Paper the customer mails in after submitting (seed 003: the stamped form with the
    /// receipt, 回执单); none: nothing is mailed.
    #[serde(default)]
    pub mail_in: Option<MailIn>,
}

/// Where a channel puts payment in an application's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTiming {
    /// Paid once submitted; reviewed once paid (seed 000).
    BeforeReview,
    /// Reviewed once submitted; paid before production (seed 003).
    #[default]
    BeforeProduction,
}

/// A document a channel lists beyond the standard ones, uploaded like them (an image,
/// checked and sealed) and required of the holders it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraDocument {
    /// 2 to 24 lowercase letters, digits or '_'; the slot is `extra.{code}`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub help_zh: String,
    #[serde(default)]
    pub help_en: String,
    /// Asked of organisations or of individuals; none: of both.
    #[serde(default)]
    pub holder: Option<Holder>,
}

/// What the customer mails in, and where, printed on the receipt (回执单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailIn {
    /// One line per item in the envelope, in Chinese and in English (as many of each).
    pub items_zh: Vec<String>,
    pub items_en: Vec<String>,
    pub address_zh: String,
    pub address_en: String,
    pub recipient: String,
    pub phone: String,
}

/// The real-name verification a channel offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationOptions {
    /// In the order the page lists them; uploading documents for manual review is always
    /// offered besides.
    #[serde(default)]
    pub methods: Vec<Method>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelyingSystem {
    pub name_zh: String,
    pub name_en: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantKind {
    /// 企业.
    Enterprise,
    /// 个体工商户.
    IndividualBusiness,
    /// 国家机关/事业单位.
    PublicInstitution,
    /// 个人.
    Individual,
}

impl ApplicantKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            ApplicantKind::Enterprise => "企业",
            ApplicantKind::IndividualBusiness => "个体工商户",
            ApplicantKind::PublicInstitution => "国家机关/事业单位",
            ApplicantKind::Individual => "个人",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            ApplicantKind::Enterprise => "Enterprise",
            ApplicantKind::IndividualBusiness => "Individual business",
            ApplicantKind::PublicInstitution => "Government unit / public institution",
            ApplicantKind::Individual => "Individual",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    Organization,
    Individual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub code: String,
    pub holder: Holder,
    pub name_zh: String,
    pub name_en: String,
    /// Key family of the CA that issues it: `sm2`, `rsa` or `ecdsa`.
    pub family: String,
    /// Certificate profile, e.g. `org-sign`.
    pub profile: String,
    /// Validity options in years, e.g. `[1, 2]`.
    pub validity_years: Vec<u32>,
}

/// Prices in fen per business type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fees {
    /// New certificate, per set (service for the first year + medium).
    pub new_per_set: Fen,
    /// Renewal, per year; also each year of a new certificate beyond the first.
    pub renewal_per_year: Fen,
    /// A USBKEY medium on its own.
    pub medium: Fen,
    pub unlock: Fen,
    pub loss_replacement: Fen,
    /// Out of warranty or not a quality fault; free otherwise.
    pub damage_replacement: Fen,
    pub change: Fen,
    pub revocation: Fen,
}

impl Fees {
    /// A new certificate for `years` years: the set plus each further year at the renewal
    /// price. `None` on overflow or zero years.
    pub fn new_certificate(&self, years: u32) -> Option<Fen> {
        let extra = u64::from(years.checked_sub(1)?);
        self.new_per_set.plus(self.renewal_per_year.times(extra)?)
    }

    /// The fee of a business type (renewal: one year).
    pub fn of(&self, business: BusinessType) -> Fen {
        match business {
            BusinessType::New => self.new_per_set,
            BusinessType::Renewal => self.renewal_per_year,
            BusinessType::Unlock => self.unlock,
            BusinessType::LossReplacement => self.loss_replacement,
            BusinessType::DamageReplacement => self.damage_replacement,
            BusinessType::Change => self.change,
            BusinessType::Revocation => self.revocation,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessRule {
    /// Offered in the online hall.
    pub online: bool,
    /// Offered at the counter.
    pub counter: bool,
    /// How it may be paid online (empty when free).
    #[serde(default)]
    pub payment_methods: Vec<PaymentMethod>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// 在线支付 (WeChat Pay, Alipay).
    Online,
    /// 银行汇款/对公转账.
    BankTransfer,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 2] = [PaymentMethod::Online, PaymentMethod::BankTransfer];

    /// The stored and configured name (`online`, `bank_transfer`).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Online => "online",
            PaymentMethod::BankTransfer => "bank_transfer",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentMethod> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            PaymentMethod::Online => "在线支付（微信、支付宝）",
            PaymentMethod::BankTransfer => "银行汇款/对公转账",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            PaymentMethod::Online => "Online (WeChat Pay, Alipay)",
            PaymentMethod::BankTransfer => "Bank transfer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// The CA pays the courier.
    Ca,
    /// The customer pays on delivery.
    Customer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Courier {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub paid_by: Payer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    /// Lowercase letters, digits and '_'.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// A regular expression the whole value must match.
    pub pattern: String,
    #[serde(default)]
    pub help_zh: String,
    #[serde(default)]
    pub help_en: String,
    #[serde(default)]
    pub required: bool,
}

impl CustomField {
    /// Whether `value` is acceptable: empty only when optional, else matching the pattern.
    pub fn accepts(&self, value: &str) -> bool {
        if value.is_empty() {
            return !self.required;
        }
        regex_lite::Regex::new(&format!("^(?:{})$", self.pattern))
            .map(|re| re.is_match(value))
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub title_zh: String,
    pub title_en: String,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinDelivery {
    /// A sealed PIN envelope travels with the key.
    EnvelopeWithKey,
    /// The PIN is sent by SMS to the agent's number.
    SmsToAgent,
    /// The PIN goes to the legal representative (SMS), or in the remark of the 0.01 元
    /// verification transfer (seed 004).
    LegalRepresentative,
    /// A published initial PIN the customer must change on receipt.
    InitialPinToChange,
}

fn initial_pin() -> String {
    "111111".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinPolicy {
    pub delivery: PinDelivery,
    /// The published initial PIN, for `initial_pin_to_change` (seed 003: 六个 1).
    #[serde(default = "initial_pin")]
    pub initial_pin: String,
    /// Wrong tries before the user PIN locks.
    pub max_tries: u32,
    #[serde(default)]
    pub note_zh: String,
    #[serde(default)]
    pub note_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Online renewal opens this many days before expiry.
    pub renew_before_expiry_days: u32,
    /// …and stays open this many days after expiry (later: documents reviewed first).
    pub renew_after_expiry_days: u32,
    /// A certificate expired this many days is revoked automatically.
    pub auto_revoke_days_after_expiry: u32,
    /// SMS reminder for an order unpaid this many days.
    pub unpaid_reminder_days: u32,
    /// An order unpaid this many days is closed; its applications wait for a new one.
    #[serde(default = "fifteen")]
    pub close_unpaid_after_days: u32,
    /// The medium's warranty from first issuance.
    pub medium_warranty_months: u32,
    /// A shipped key the customer has not confirmed is taken as received after this many
    /// days (已完成).
    #[serde(default = "fifteen")]
    pub receipt_assumed_after_days: u32,
    /// Expiry reminders, days before expiry.
    pub expiry_reminder_days: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// 增值税电子普通发票.
    ElectronicNormal,
    /// 增值税普通发票（纸质）.
    PaperNormal,
    /// 增值税专用发票.
    VatSpecial,
}

impl InvoiceKind {
    /// The stored (and posted) name, e.g. `electronic_normal`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::ElectronicNormal => "electronic_normal",
            InvoiceKind::PaperNormal => "paper_normal",
            InvoiceKind::VatSpecial => "vat_special",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            InvoiceKind::ElectronicNormal => "增值税电子普通发票",
            InvoiceKind::PaperNormal => "增值税普通发票（纸质）",
            InvoiceKind::VatSpecial => "增值税专用发票",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            InvoiceKind::ElectronicNormal => "Electronic VAT normal invoice",
            InvoiceKind::PaperNormal => "Paper VAT normal invoice",
            InvoiceKind::VatSpecial => "VAT special invoice",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceOptions {
    pub kinds: Vec<InvoiceKind>,
    pub default: InvoiceKind,
    /// Courier for paper invoices, one of the channel's couriers.
    #[serde(default)]
    pub paper_courier: Option<String>,
    /// Paper invoices are mailed within this many days of payment.
    #[serde(default)]
    pub paper_within_days: Option<u32>,
    /// The title is the holder's name and cannot be changed (seeds 001 and 004).
    #[serde(default)]
    pub title_fixed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remittance {
    /// The payee exactly as the bank knows it.
    pub payee: String,
    pub bank: String,
    pub account: String,
    #[serde(default)]
    pub notes_zh: String,
    #[serde(default)]
    pub notes_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    pub address_zh: String,
    pub address_en: String,
    pub hours: String,
}

fn fifteen() -> u32 {
    15
}

fn err(field: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> FieldError {
    FieldError::new(field, "invalid_channel", en, zh)
}

/// A code: 2 to 32 of lowercase letters, digits and `extra`, starting with a letter.
fn is_code(text: &str, extra: char) -> bool {
    (2..=32).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == extra)
}

fn non_empty(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(err(field, "must not be empty", "不能为空"));
    }
    Ok(())
}

impl Channel {
    /// Checks that the definition is coherent; the first fault found names its field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !is_code(&self.code, '-') {
            return Err(err(
                "code",
                "2 to 32 lowercase letters, digits or '-', starting with a letter",
                "2至32位小写字母、数字或“-”，以字母开头",
            ));
        }
        for (field, value) in [
            ("name_zh", &self.name_zh),
            ("name_en", &self.name_en),
            ("relying_system.name_zh", &self.relying_system.name_zh),
            ("agreement.zh", &self.agreement.zh),
        ] {
            non_empty(field, value)?;
        }
        let url = &self.relying_system.url;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(err(
                "relying_system.url",
                "must start with http:// or https://",
                "必须以 http:// 或 https:// 开头",
            ));
        }
        if self.applicants.is_empty() {
            return Err(err(
                "applicants",
                "name at least one kind of applicant",
                "至少要有一类申请人",
            ));
        }
        self.validate_products()?;
        self.validate_business()?;
        self.validate_couriers_and_invoices()?;
        for (i, field) in self.custom_fields.iter().enumerate() {
            let at = format!("custom_fields[{i}]");
            if !is_code(&field.key, '_') {
                return Err(err(
                    format!("{at}.key"),
                    "2 to 32 lowercase letters, digits or '_'",
                    "2至32位小写字母、数字或“_”",
                ));
            }
            non_empty(&format!("{at}.label_zh"), &field.label_zh)?;
            if let Err(e) = regex_lite::Regex::new(&field.pattern) {
                return Err(err(
                    format!("{at}.pattern"),
                    format!("not a regular expression: {e}"),
                    "不是有效的正则表达式",
                ));
            }
            if self.custom_fields[..i].iter().any(|f| f.key == field.key) {
                return Err(err(format!("{at}.key"), "used twice", "重复"));
            }
        }
        self.validate_documents()?;
        for (i, method) in self.verification.methods.iter().enumerate() {
            if self.verification.methods[..i].contains(method) {
                return Err(err(
                    format!("verification.methods[{i}]"),
                    "used twice",
                    "重复",
                ));
            }
        }
        if !(1..=15).contains(&self.pin.max_tries) {
            return Err(err("pin.max_tries", "1 to 15", "应为1至15"));
        }
        if self.shipping_promise_working_days == 0 || self.shipping_promise_working_days > 60 {
            return Err(err(
                "shipping_promise_working_days",
                "1 to 60 working days",
                "应为1至60个工作日",
            ));
        }
        if self.review_promise_working_days == 0 || self.review_promise_working_days > 60 {
            return Err(err(
                "review_promise_working_days",
                "1 to 60 working days",
                "应为1至60个工作日",
            ));
        }
        Ok(())
    }

    fn validate_documents(&self) -> Result<(), FieldError> {
        for (i, document) in self.documents.iter().enumerate() {
            let at = format!("documents[{i}]");
            if !is_code(&document.code, '_') || document.code.len() > 24 {
                return Err(err(
                    format!("{at}.code"),
                    "2 to 24 lowercase letters, digits or '_', starting with a letter",
                    "2至24位小写字母、数字或“_”，以字母开头",
                ));
            }
            non_empty(&format!("{at}.name_zh"), &document.name_zh)?;
            non_empty(&format!("{at}.name_en"), &document.name_en)?;
            if self.documents[..i].iter().any(|d| d.code == document.code) {
                return Err(err(format!("{at}.code"), "used twice", "重复"));
            }
        }
        if let Some(mail) = &self.mail_in {
            if mail.items_zh.is_empty() || mail.items_zh.len() != mail.items_en.len() {
                return Err(err(
                    "mail_in.items_en",
                    "list at least one item, as many in English as in Chinese",
                    "至少列出一项，中英文条数相同",
                ));
            }
            for (field, value) in [
                ("mail_in.address_zh", &mail.address_zh),
                ("mail_in.recipient", &mail.recipient),
                ("mail_in.phone", &mail.phone),
            ] {
                non_empty(field, value)?;
            }
        }
        Ok(())
    }

    fn validate_products(&self) -> Result<(), FieldError> {
        if self.products.is_empty() {
            return Err(err("products", "at least one product", "至少要有一个产品"));
        }
        for (i, product) in self.products.iter().enumerate() {
            let at = format!("products[{i}]");
            if !is_code(&product.code, '-') {
                return Err(err(
                    format!("{at}.code"),
                    "2 to 32 lowercase letters, digits or '-'",
                    "2至32位小写字母、数字或“-”",
                ));
            }
            if self.products[..i].iter().any(|p| p.code == product.code) {
                return Err(err(format!("{at}.code"), "used twice", "重复"));
            }
            non_empty(&format!("{at}.name_zh"), &product.name_zh)?;
            if !["sm2", "rsa", "ecdsa"].contains(&product.family.as_str()) {
                return Err(err(
                    format!("{at}.family"),
                    "one of sm2, rsa, ecdsa",
                    "应为 sm2、rsa 或 ecdsa",
                ));
            }
            let years = &product.validity_years;
            if years.is_empty() || years.iter().any(|y| !(1..=5).contains(y)) {
                return Err(err(
                    format!("{at}.validity_years"),
                    "one or more of 1 to 5 years",
                    "有效期应为1至5年",
                ));
            }
            if self
                .fees
                .new_certificate(*years.iter().max().unwrap_or(&1))
                .is_none()
            {
                return Err(err("fees", "amounts too large", "金额过大"));
            }
        }
        Ok(())
    }

    fn validate_business(&self) -> Result<(), FieldError> {
        if self.business.is_empty() {
            return Err(err(
                "business",
                "offer at least one business type",
                "至少提供一种业务",
            ));
        }
        for (business, rule) in &self.business {
            let at = format!("business.{business}");
            if !rule.online && !rule.counter {
                return Err(err(
                    &at,
                    "offer it online, at the counter or both (or remove it)",
                    "应至少支持网上办理或现场办理之一（否则删除此业务）",
                ));
            }
            let fee = self.fees.of(*business);
            if rule.online && fee > Fen::ZERO && rule.payment_methods.is_empty() {
                return Err(err(
                    format!("{at}.payment_methods"),
                    "a paid online business needs at least one payment method",
                    "收费的网上业务至少需要一种支付方式",
                ));
            }
            if rule.payment_methods.contains(&PaymentMethod::BankTransfer)
                && self.remittance.is_none()
            {
                return Err(err(
                    "remittance",
                    "bank transfer is offered: give the remittance account",
                    "已提供银行汇款，请填写汇款账户信息",
                ));
            }
            if rule.counter && self.counter.is_none() {
                return Err(err(
                    "counter",
                    "counter business is offered: give the counter's address and hours",
                    "已提供现场办理，请填写受理点地址和时间",
                ));
            }
        }
        Ok(())
    }

    fn validate_couriers_and_invoices(&self) -> Result<(), FieldError> {
        let mut codes = BTreeSet::new();
        for (i, courier) in self.couriers.iter().enumerate() {
            if !is_code(&courier.code, '-') || !codes.insert(courier.code.as_str()) {
                return Err(err(
                    format!("couriers[{i}].code"),
                    "a unique code of lowercase letters, digits or '-'",
                    "应为唯一的小写字母、数字或“-”代码",
                ));
            }
        }
        let ships = self.business.iter().any(|(b, rule)| {
            rule.online
                && matches!(
                    b,
                    BusinessType::New
                        | BusinessType::LossReplacement
                        | BusinessType::DamageReplacement
                )
        });
        if ships && self.couriers.is_empty() {
            return Err(err(
                "couriers",
                "keys are shipped for online business: name at least one courier",
                "网上业务需要快递介质，请至少配置一家快递",
            ));
        }
        let invoice = &self.invoice;
        if invoice.kinds.is_empty() || !invoice.kinds.contains(&invoice.default) {
            return Err(err(
                "invoice.default",
                "must be one of invoice.kinds",
                "默认发票类型必须在可选类型中",
            ));
        }
        if let Some(courier) = &invoice.paper_courier
            && !codes.contains(courier.as_str())
        {
            return Err(err(
                "invoice.paper_courier",
                "must be the code of one of the channel's couriers",
                "必须是本渠道已配置的快递",
            ));
        }
        Ok(())
    }

    /// Keys travel by courier when the channel has couriers; otherwise they wait at the
    /// counter.
    pub fn ships(&self) -> bool {
        !self.couriers.is_empty()
    }

    /// The business types offered, in the fixed order.
    pub fn offered(&self) -> impl Iterator<Item = (BusinessType, &BusinessRule)> {
        BusinessType::ALL
            .into_iter()
            .filter_map(|b| self.business.get(&b).map(|rule| (b, rule)))
    }
}
