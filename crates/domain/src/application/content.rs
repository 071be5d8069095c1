//! What an application says: the product chosen, who the certificate is for (an
//! organisation or a person), the agent (经办人), delivery, invoice and the accepted
//! agreement. Each part is parsed from what the customer typed (a `…Form` of strings) into
//! a checked value, against the channel's rules; a refusal names the field. The stored
//! application holds only checked parts, so a saved step is always a valid one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::document::{DocumentRef, DocumentSlot};
use super::verification::Verification;
use crate::address::{Address, AddressInput};
use crate::channel::{ApplicantKind, Channel, Holder, InvoiceKind};
use crate::field_error::FieldError;
use crate::licence_number::{LicenceNumber, LicenceNumberError};
use crate::money::Fen;
use crate::organisation_code::{OrganisationCode, OrganisationCodeError};
use crate::phone::PhoneNumber;
use crate::resident_id::{ResidentId, ResidentIdError};
use crate::time::ChinaDate;
use crate::uscc::{Uscc, UsccError};
use crate::{contact, text};

/// Most keys one application asks for.
pub const MAX_QUANTITY: u32 = 50;

fn invalid(field: &str, en: impl Into<String>, zh: impl Into<String>) -> FieldError {
    FieldError::new(field, "invalid_field", en, zh)
}

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Channel and product (选择产品).
    Product,
    /// The organisation or the person (单位信息 / 个人信息).
    Subject,
    /// 经办人信息.
    Agent,
    /// Delivery and invoice (配送与发票).
    Delivery,
    /// Real-name verification (实名认证), where the channel offers it.
    Verification,
    /// The documents (资料上传).
    Documents,
    /// The channel's agreement (协议书).
    Agreement,
    /// Everything is filled in: the confirmation page and the SMS-signed submission.
    Confirm,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Product,
        Step::Subject,
        Step::Agent,
        Step::Delivery,
        Step::Verification,
        Step::Documents,
        Step::Agreement,
        Step::Confirm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Product => "product",
            Step::Subject => "subject",
            Step::Agent => "agent",
            Step::Delivery => "delivery",
            Step::Verification => "verification",
            Step::Documents => "documents",
            Step::Agreement => "agreement",
            Step::Confirm => "confirm",
        }
    }

    pub fn parse(text: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Step::Product => "选择产品",
            Step::Subject => "主体信息",
            Step::Agent => "经办人信息",
            Step::Delivery => "配送与发票",
            Step::Verification => "实名认证",
            Step::Documents => "资料上传",
            Step::Agreement => "协议书",
            Step::Confirm => "确认提交",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Step::Product => "Product",
            Step::Subject => "Holder",
            Step::Agent => "Agent",
            Step::Delivery => "Delivery and invoice",
            Step::Verification => "Real-name verification",
            Step::Documents => "Documents",
            Step::Agreement => "Agreement",
            Step::Confirm => "Confirm",
        }
    }
}

/// The product, validity and quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductChoice {
    pub product: String,
    pub years: u32,
    pub quantity: u32,
}

impl ProductChoice {
    /// Checks the choice against the channel: a product it sells, one of its validity
    /// options, 1 to [`MAX_QUANTITY`] keys.
    pub fn parse(
        channel: &Channel,
        product: &str,
        years: u32,
        quantity: u32,
    ) -> Result<(ProductChoice, Holder), FieldError> {
        let Some(found) = channel.products.iter().find(|p| p.code == product) else {
            return Err(invalid(
                "product",
                format!("channel {} has no product {product:?}", channel.code),
                "该渠道没有此产品",
            ));
        };
        if !found.validity_years.contains(&years) {
            let options: Vec<String> = found.validity_years.iter().map(u32::to_string).collect();
            return Err(invalid(
                "years",
                format!("choose {} years", options.join(" or ")),
                format!("有效期可选{}年", options.join("或")),
            ));
        }
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(invalid(
                "quantity",
                format!("1 to {MAX_QUANTITY}"),
                format!("数量应为1至{MAX_QUANTITY}"),
            ));
        }
        let holder = found.holder;
        let applicants_ok = match holder {
            Holder::Individual => channel.applicants.contains(&ApplicantKind::Individual),
            Holder::Organization => channel
                .applicants
                .iter()
                .any(|a| *a != ApplicantKind::Individual),
        };
        if !applicants_ok {
            return Err(invalid(
                "product",
                "the channel does not serve this kind of applicant",
                "该渠道不受理此类申请人",
            ));
        }
        Ok((
            ProductChoice {
                product: product.to_string(),
                years,
                quantity,
            },
            holder,
        ))
    }

    /// The price from the channel's fees: a set for the first year, the renewal price for
    /// each further year, times the quantity. `None` on overflow.
    pub fn price(&self, channel: &Channel) -> Option<Fen> {
        channel
            .fees
            .new_certificate(self.years)?
            .times(u64::from(self.quantity))
    }
}

/// Industries (所属行业): the sections of GB/T 4754-2017.
pub const INDUSTRIES: [(&str, &str, &str); 20] = [
    (
        "A",
        "农、林、牧、渔业",
        "Agriculture, forestry, animal husbandry and fishery",
    ),
    ("B", "采矿业", "Mining"),
    ("C", "制造业", "Manufacturing"),
    (
        "D",
        "电力、热力、燃气及水生产和供应业",
        "Electricity, heat, gas and water",
    ),
    ("E", "建筑业", "Construction"),
    ("F", "批发和零售业", "Wholesale and retail"),
    ("G", "交通运输、仓储和邮政业", "Transport, storage and post"),
    ("H", "住宿和餐饮业", "Accommodation and catering"),
    (
        "I",
        "信息传输、软件和信息技术服务业",
        "Information technology and software",
    ),
    ("J", "金融业", "Finance"),
    ("K", "房地产业", "Real estate"),
    ("L", "租赁和商务服务业", "Leasing and business services"),
    (
        "M",
        "科学研究和技术服务业",
        "Research and technical services",
    ),
    (
        "N",
        "水利、环境和公共设施管理业",
        "Water, environment and public facilities",
    ),
    (
        "O",
        "居民服务、修理和其他服务业",
        "Household, repair and other services",
    ),
    ("P", "教育", "Education"),
    ("Q", "卫生和社会工作", "Health and social work"),
    (
        "R",
        "文化、体育和娱乐业",
        "Culture, sports and entertainment",
    ),
    (
        "S",
        "公共管理、社会保障和社会组织",
        "Public administration and social organisations",
    ),
    ("T", "国际组织", "International organisations"),
];

/// How an organisation is registered: converted (三证合一) or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Registration {
    Uscc {
        uscc: Uscc,
    },
    Licence {
        licence_number: LicenceNumber,
        organisation_code: OrganisationCode,
    },
}

/// The organisation a certificate is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Exactly as on the business licence.
    pub name: String,
    pub nature: ApplicantKind,
    /// A section letter of [`INDUSTRIES`].
    pub industry: String,
    pub registration: Registration,
    /// 部门名称: tells several keys of one organisation apart.
    pub department: Option<String>,
    /// The channel's own fields by key (huanbao: 十环证书编号).
    pub custom: BTreeMap<String, String>,
}

/// The organisation as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganisationForm {
    pub name: String,
    /// `enterprise`, `individual_business` or `public_institution`.
    pub nature: String,
    pub industry: String,
    /// 三证合一: the licence carries the unified social credit code.
    pub three_in_one: bool,
    pub uscc: String,
    pub licence_number: String,
    pub organisation_code: String,
    pub department: String,
    pub custom: BTreeMap<String, String>,
}

impl Organisation {
    pub fn parse(form: &OrganisationForm, channel: &Channel) -> Result<Organisation, FieldError> {
        let name = text::required("name", &form.name, 64, "单位名称")?;
        let nature = [
            ApplicantKind::Enterprise,
            ApplicantKind::IndividualBusiness,
            ApplicantKind::PublicInstitution,
        ]
        .into_iter()
        .find(|k| serde_plain_name(*k) == form.nature)
        .filter(|k| channel.applicants.contains(k))
        .ok_or_else(|| {
            let offered: Vec<&str> = channel
                .applicants
                .iter()
                .filter(|a| **a != ApplicantKind::Individual)
                .map(|a| a.name_zh())
                .collect();
            invalid(
                "nature",
                "choose the organisation's nature among the channel's",
                format!("请选择单位性质（{}）", offered.join("、")),
            )
        })?;
        if !INDUSTRIES.iter().any(|(code, _, _)| *code == form.industry) {
            return Err(invalid("industry", "choose an industry", "请选择所属行业"));
        }
        let registration = if form.three_in_one {
            let uscc = form.uscc.parse::<Uscc>().map_err(|e: UsccError| {
                FieldError::new("uscc", "invalid_uscc", e.to_string(), e.message_zh())
            })?;
            Registration::Uscc { uscc }
        } else {
            let licence_number =
                form.licence_number
                    .parse::<LicenceNumber>()
                    .map_err(|e: LicenceNumberError| {
                        FieldError::new(
                            "licence_number",
                            "invalid_licence_number",
                            e.to_string(),
                            e.message_zh(),
                        )
                    })?;
            let organisation_code = form.organisation_code.parse::<OrganisationCode>().map_err(
                |e: OrganisationCodeError| {
                    FieldError::new(
                        "organisation_code",
                        "invalid_organisation_code",
                        e.to_string(),
                        e.message_zh(),
                    )
                },
            )?;
            Registration::Licence {
                licence_number,
                organisation_code,
            }
        };
        let department = text::optional("department", Some(&form.department), 32, "部门名称")?;
        let mut custom = BTreeMap::new();
        for field in &channel.custom_fields {
            let at = format!("custom.{}", field.key);
            let value = form.custom.get(&field.key).map(|v| v.trim()).unwrap_or("");
            if !field.accepts(value) {
                let (en, zh) = if value.is_empty() {
                    (
                        "is required".to_string(),
                        format!("请填写{}", field.label_zh),
                    )
                } else {
                    (
                        format!("does not match the expected format. {}", field.help_en),
                        format!("{}格式不正确。{}", field.label_zh, field.help_zh),
                    )
                };
                return Err(FieldError::new(at, "invalid_field", en, zh));
            }
            if !value.is_empty() {
                custom.insert(
                    field.key.clone(),
                    text::required(&at, value, 64, &field.label_zh)?,
                );
            }
        }
        if let Some(key) = form
            .custom
            .keys()
            .find(|k| !channel.custom_fields.iter().any(|f| &f.key == *k))
        {
            return Err(invalid(
                &format!("custom.{key}"),
                "the channel has no such field",
                "该渠道没有此字段",
            ));
        }
        Ok(Organisation {
            name,
            nature,
            industry: form.industry.clone(),
            registration,
            department,
            custom,
        })
    }

    pub fn to_form(&self) -> OrganisationForm {
        let (three_in_one, uscc, licence_number, organisation_code) = match &self.registration {
            Registration::Uscc { uscc } => (true, uscc.to_string(), String::new(), String::new()),
            Registration::Licence {
                licence_number,
                organisation_code,
            } => (
                false,
                String::new(),
                licence_number.to_string(),
                organisation_code.display(),
            ),
        };
        OrganisationForm {
            name: self.name.clone(),
            nature: serde_plain_name(self.nature).to_string(),
            industry: self.industry.clone(),
            three_in_one,
            uscc,
            licence_number,
            organisation_code,
            department: self.department.clone().unwrap_or_default(),
            custom: self.custom.clone(),
        }
    }
}

/// The stored (snake_case) name of an applicant kind.
pub fn serde_plain_name(kind: ApplicantKind) -> &'static str {
    match kind {
        ApplicantKind::Enterprise => "enterprise",
        ApplicantKind::IndividualBusiness => "individual_business",
        ApplicantKind::PublicInstitution => "public_institution",
        ApplicantKind::Individual => "individual",
    }
}

/// A person a certificate is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Individual {
    pub name: String,
    /// Checked with [`ResidentId::parse_on`] when entered.
    pub id_number: String,
    pub address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndividualForm {
    pub name: String,
    pub id_number: String,
    pub address: String,
}

fn resident_id(field: &str, value: &str, today: ChinaDate) -> Result<String, FieldError> {
    ResidentId::parse_on(value, today)
        .map(|id| id.as_str().to_string())
        .map_err(|e: ResidentIdError| {
            FieldError::new(field, "invalid_id_number", e.to_string(), e.message_zh())
        })
}

impl Individual {
    pub fn parse(form: &IndividualForm, today: ChinaDate) -> Result<Individual, FieldError> {
        Ok(Individual {
            name: text::required("name", &form.name, 32, "姓名")?,
            id_number: resident_id("id_number", &form.id_number, today)?,
            address: text::required("address", &form.address, 128, "地址")?,
        })
    }

    pub fn to_form(&self) -> IndividualForm {
        IndividualForm {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            address: self.address.clone(),
        }
    }
}

/// Who the certificate is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "holder", rename_all = "snake_case")]
pub enum Subject {
    Organisation(Organisation),
    Individual(Individual),
}

impl Subject {
    /// The name printed on lists: the organisation's, or the person's.
    pub fn name(&self) -> &str {
        match self {
            Subject::Organisation(o) => &o.name,
            Subject::Individual(i) => &i.name,
        }
    }

    /// What says two applications are for the same holder: the USCC, the licence number
    /// with the organisation code, or the ID number.
    pub fn identifier(&self) -> String {
        match self {
            Subject::Organisation(o) => match &o.registration {
                Registration::Uscc { uscc } => format!("uscc:{uscc}"),
                Registration::Licence {
                    licence_number,
                    organisation_code,
                } => format!("licence:{licence_number}:{}", organisation_code.as_str()),
            },
            Subject::Individual(i) => format!("id:{}", i.id_number),
        }
    }
}

/// The agent (经办人) who applies for the organisation or person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub name: String,
    /// The account's number, never typed.
    pub mobile: PhoneNumber,
    pub email: String,
    pub landline: Option<String>,
    pub position: Option<String>,
    pub id_number: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentForm {
    pub name: String,
    pub email: String,
    pub landline: String,
    pub position: String,
    pub id_number: String,
}

impl Agent {
    /// `mobile` is the account's number: the agent's mobile is not editable (seed 000).
    pub fn parse(
        form: &AgentForm,
        mobile: &PhoneNumber,
        today: ChinaDate,
    ) -> Result<Agent, FieldError> {
        let landline = match text::optional("landline", Some(&form.landline), 24, "固定电话")? {
            Some(number) => Some(contact::landline("landline", &number)?),
            None => None,
        };
        Ok(Agent {
            name: text::required("name", &form.name, 32, "经办人姓名")?,
            mobile: mobile.clone(),
            email: contact::email("email", &form.email)?,
            landline,
            position: text::optional("position", Some(&form.position), 32, "职务")?,
            id_number: resident_id("id_number", &form.id_number, today)?,
        })
    }

    pub fn to_form(&self) -> AgentForm {
        AgentForm {
            name: self.name.clone(),
            email: self.email.clone(),
            landline: self.landline.clone().unwrap_or_default(),
            position: self.position.clone().unwrap_or_default(),
            id_number: self.id_number.clone(),
        }
    }
}

/// How the key travels: by one of the channel's couriers to an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipping {
    pub courier: String,
    /// Checked with [`Address::parse`] when entered.
    pub address: AddressInput,
}

impl Shipping {
    pub fn parse(
        courier: &str,
        address: &AddressInput,
        channel: &Channel,
    ) -> Result<Shipping, FieldError> {
        if !channel.couriers.iter().any(|c| c.code == courier) {
            return Err(invalid(
                "courier",
                "choose one of the channel's couriers",
                "请选择本渠道提供的快递",
            ));
        }
        let address = Address::parse(address).map_err(|mut e| {
            e.field = format!("address.{}", e.field);
            e
        })?;
        Ok(Shipping {
            courier: courier.to_string(),
            address: address.to_input(),
        })
    }
}

/// The invoice asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Invoice {
    NotNeeded,
    ElectronicNormal {
        title: String,
        email: String,
    },
    PaperNormal {
        title: String,
    },
    VatSpecial {
        title: String,
        taxpayer_id: String,
        address_phone: String,
        bank: String,
        account: String,
    },
}

/// The invoice as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceForm {
    pub needed: bool,
    /// `electronic_normal`, `paper_normal` or `vat_special`.
    pub kind: String,
    /// Empty: the organisation's (or person's) name.
    pub title: String,
    pub email: String,
    pub taxpayer_id: String,
    pub address_phone: String,
    pub bank: String,
    pub account: String,
}

/// A taxpayer identification number (纳税人识别号): the USCC for most, else 15, 17 or 20
/// digits and capital letters of older registrations.
fn taxpayer_id(value: &str) -> Result<String, FieldError> {
    let id = value.trim().to_ascii_uppercase();
    let field = "invoice.taxpayer_id";
    if id.len() == 18 {
        return id.parse::<Uscc>().map(|u| u.to_string()).map_err(|e| {
            FieldError::new(field, "invalid_taxpayer_id", e.to_string(), e.message_zh())
        });
    }
    let ok = [15, 17, 20].contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    if ok {
        Ok(id)
    } else {
        Err(FieldError::new(
            field,
            "invalid_taxpayer_id",
            "a unified social credit code, or 15, 17 or 20 digits and capital letters",
            "纳税人识别号应为统一社会信用代码，或15、17、20位数字和大写字母",
        ))
    }
}

impl Invoice {
    /// Checks the invoice against the channel's kinds; the title defaults to `holder_name`.
    pub fn parse(
        form: &InvoiceForm,
        channel: &Channel,
        holder_name: &str,
    ) -> Result<Invoice, FieldError> {
        if !form.needed {
            return Ok(Invoice::NotNeeded);
        }
        let kind = channel
            .invoice
            .kinds
            .iter()
            .copied()
            .find(|k| k.as_str() == form.kind)
            .ok_or_else(|| {
                let offered: Vec<&str> =
                    channel.invoice.kinds.iter().map(|k| k.name_zh()).collect();
                invalid(
                    "invoice.kind",
                    "choose one of the invoice kinds the channel offers",
                    format!("请选择发票类型（{}）", offered.join("、")),
                )
            })?;
        let title = if channel.invoice.title_fixed {
            // Whatever was typed: the holder's name (the page shows it read-only).
            holder_name.to_string()
        } else {
            text::optional("invoice.title", Some(&form.title), 64, "发票抬头")?
                .unwrap_or_else(|| holder_name.to_string())
        };
        Ok(match kind {
            InvoiceKind::ElectronicNormal => Invoice::ElectronicNormal {
                title,
                email: contact::email("invoice.email", &form.email)?,
            },
            InvoiceKind::PaperNormal => Invoice::PaperNormal { title },
            InvoiceKind::VatSpecial => {
                let account: String = form
                    .account
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '-'))
                    .collect();
                if !(8..=32).contains(&account.len())
                    || !account.chars().all(|c| c.is_ascii_digit())
                {
                    return Err(FieldError::new(
                        "invoice.account",
                        "invalid_field",
                        "a bank account of 8 to 32 digits",
                        "银行账号应为8至32位数字",
                    ));
                }
                Invoice::VatSpecial {
                    title,
                    taxpayer_id: taxpayer_id(&form.taxpayer_id)?,
                    address_phone: text::required(
                        "invoice.address_phone",
                        &form.address_phone,
                        128,
                        "注册地址和电话",
                    )?,
                    bank: text::required("invoice.bank", &form.bank, 64, "开户银行")?,
                    account,
                }
            }
        })
    }

    /// One line saying what is asked for, in `lang` (pages and printed forms).
    pub fn summary(&self, lang: crate::Lang) -> String {
        let kind = |k: InvoiceKind| lang.pick(k.name_zh(), k.name_en()).to_string();
        match self {
            Invoice::NotNeeded => lang.pick("不需要发票", "No invoice").into(),
            Invoice::ElectronicNormal { title, email } => {
                format!(
                    "{} · {title} · {email}",
                    kind(InvoiceKind::ElectronicNormal)
                )
            }
            Invoice::PaperNormal { title } => {
                format!("{} · {title}", kind(InvoiceKind::PaperNormal))
            }
            Invoice::VatSpecial {
                title,
                taxpayer_id,
                address_phone,
                bank,
                account,
            } => format!(
                "{} · {title} · {taxpayer_id} · {address_phone} · {bank} {account}",
                kind(InvoiceKind::VatSpecial)
            ),
        }
    }

    pub fn to_form(&self) -> InvoiceForm {
        match self {
            Invoice::NotNeeded => InvoiceForm::default(),
            Invoice::ElectronicNormal { title, email } => InvoiceForm {
                needed: true,
                kind: "electronic_normal".into(),
                title: title.clone(),
                email: email.clone(),
                ..InvoiceForm::default()
            },
            Invoice::PaperNormal { title } => InvoiceForm {
                needed: true,
                kind: "paper_normal".into(),
                title: title.clone(),
                ..InvoiceForm::default()
            },
            Invoice::VatSpecial {
                title,
                taxpayer_id,
                address_phone,
                bank,
                account,
            } => InvoiceForm {
                needed: true,
                kind: "vat_special".into(),
                title: title.clone(),
                email: String::new(),
                taxpayer_id: taxpayer_id.clone(),
                address_phone: address_phone.clone(),
                bank: bank.clone(),
                account: account.clone(),
            },
        }
    }
}

/// The channel's agreement as accepted: its version and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub version: String,
    pub at: i64,
}

/// Everything the customer has entered so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub product: ProductChoice,
    pub holder: Holder,
    pub subject: Option<Subject>,
    pub agent: Option<Agent>,
    pub shipping: Option<Shipping>,
    pub invoice: Option<Invoice>,
    pub agreement: Option<Accepted>,
    /// The uploaded documents by slot.
    #[serde(default)]
    pub documents: BTreeMap<DocumentSlot, DocumentRef>,
    #[serde(default)]
    pub verification: Verification,
}

impl Content {
    pub fn new(product: ProductChoice, holder: Holder) -> Content {
        Content {
            product,
            holder,
            subject: None,
            agent: None,
            shipping: None,
            invoice: None,
            agreement: None,
            documents: BTreeMap::new(),
            verification: Verification::default(),
        }
    }

    /// The first step not yet done; [`Step::Confirm`] when everything is filled in. The
    /// channel says whether keys travel by courier (delivery then needs a shipping
    /// address; the invoice choice is always needed) and which parties are verified.
    pub fn next_step(&self, channel: &Channel) -> Step {
        if self.subject.is_none() {
            Step::Subject
        } else if self.agent.is_none() {
            Step::Agent
        } else if (channel.ships() && self.shipping.is_none()) || self.invoice.is_none() {
            Step::Delivery
        } else if !self.verified(channel) {
            Step::Verification
        } else if !self.missing_documents(channel).is_empty() {
            Step::Documents
        } else if self.agreement.is_none() {
            Step::Agreement
        } else {
            Step::Confirm
        }
    }

    /// The documents still to upload.
    pub fn missing_documents(&self, channel: &Channel) -> Vec<DocumentSlot> {
        DocumentSlot::required(self, channel)
            .into_iter()
            .filter(|slot| !self.documents.contains_key(slot))
            .collect()
    }

    /// Whether a step's data is already there (it may be revisited and changed).
    pub fn has(&self, step: Step, channel: &Channel) -> bool {
        step < self.next_step(channel) || self.next_step(channel) == Step::Confirm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huanbao() -> Channel {
        let text = include_str!("../../../services/hall.toml");
        let value: toml::Value = toml::from_str(text).unwrap();
        let channel = value["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"].as_str() == Some("huanbao"))
            .unwrap()
            .clone();
        channel.try_into::<Channel>().unwrap()
    }

    fn organisation() -> OrganisationForm {
        OrganisationForm {
            name: "北京环保科技有限公司".into(),
            nature: "enterprise".into(),
            industry: "C".into(),
            three_in_one: true,
            uscc: "91350100M000100Y43".into(),
            custom: [("ten_ring_cert_no".to_string(), "CCEL-2026-0001".to_string())].into(),
            ..OrganisationForm::default()
        }
    }

    #[test]
    fn an_organisation_with_a_uscc_or_with_licence_and_code() {
        let channel = huanbao();
        let mut form = organisation();
        let org = Organisation::parse(&form, &channel).unwrap();
        assert_eq!(
            Subject::Organisation(org.clone()).identifier(),
            "uscc:91350100M000100Y43"
        );
        assert_eq!(Organisation::parse(&org.to_form(), &channel).unwrap(), org);

        form.three_in_one = false;
        form.licence_number = "110108000000016".into();
        form.organisation_code = "60003734-1".into();
        let org = Organisation::parse(&form, &channel).unwrap();
        let subject = Subject::Organisation(org);
        assert_eq!(subject.identifier(), "licence:110108000000016:600037341");
        // Not converted: the organisation code certificate is needed too.
        let (choice, holder) = ProductChoice::parse(&channel, "org-usbkey", 1, 1).unwrap();
        let mut content = Content::new(choice, holder);
        content.subject = Some(subject);
        assert_eq!(
            DocumentSlot::required(&content, &channel),
            [
                DocumentSlot::BusinessLicence,
                DocumentSlot::OrganisationCodeCertificate,
                DocumentSlot::AgentIdFront,
                DocumentSlot::AgentIdBack,
                DocumentSlot::AuthorisationLetter,
                DocumentSlot::parse("extra.ten_ring_certificate").unwrap(),
            ]
        );
        form.organisation_code = "60003734-2".into();
        let e = Organisation::parse(&form, &channel).unwrap_err();
        assert_eq!(e.field, "organisation_code");
        assert!(e.zh.contains("应为“1”"));
    }

    #[test]
    fn each_organisation_fault_names_its_field() {
        let channel = huanbao();
        let mut form = organisation();
        form.uscc = "91350100M000100Y44".into();
        let e = Organisation::parse(&form, &channel).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("uscc", "invalid_uscc"));
        assert!(e.zh.contains("校验位错误"));
        let mut form = organisation();
        form.nature = "individual".into();
        assert_eq!(
            Organisation::parse(&form, &channel).unwrap_err().field,
            "nature"
        );
        let mut form = organisation();
        form.industry = "Z".into();
        assert_eq!(
            Organisation::parse(&form, &channel).unwrap_err().field,
            "industry"
        );
        let mut form = organisation();
        form.custom.clear();
        let e = Organisation::parse(&form, &channel).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.zh.as_str()),
            (
                "custom.ten_ring_cert_no",
                "请填写环境标志产品认证证书编号（十环证书编号）"
            )
        );
        form.custom.insert("ten_ring_cert_no".into(), "!!".into());
        let e = Organisation::parse(&form, &channel).unwrap_err();
        assert!(e.zh.contains("格式不正确"), "{}", e.zh);
        let mut form = organisation();
        form.custom.insert("nope".into(), "x".into());
        let e = Organisation::parse(&form, &channel).unwrap_err();
        assert_eq!(e.field, "custom.nope");
    }

    #[test]
    fn products_quantities_and_prices() {
        let channel = huanbao();
        let product = &channel.products[0];
        let (choice, holder) = ProductChoice::parse(&channel, &product.code, 1, 2).unwrap();
        assert_eq!(holder, product.holder);
        assert_eq!(choice.price(&channel), channel.fees.new_per_set.times(2));
        assert_eq!(
            ProductChoice::parse(&channel, &product.code, 1, 0)
                .unwrap_err()
                .field,
            "quantity"
        );
        assert_eq!(
            ProductChoice::parse(&channel, &product.code, 9, 1)
                .unwrap_err()
                .field,
            "years"
        );
        assert_eq!(
            ProductChoice::parse(&channel, "nope", 1, 1)
                .unwrap_err()
                .field,
            "product"
        );
    }

    #[test]
    fn agents_take_the_accounts_number_and_check_their_contacts() {
        let today: ChinaDate = "2026-11-02".parse().unwrap();
        let mobile: PhoneNumber = "13800138000".parse().unwrap();
        let form = AgentForm {
            name: "张三".into(),
            email: "zhang@example.cn".into(),
            landline: "0591-87654321".into(),
            position: "采购".into(),
            id_number: "11010519491231002X".into(),
        };
        let agent = Agent::parse(&form, &mobile, today).unwrap();
        assert_eq!(agent.mobile, mobile);
        assert_eq!(agent.to_form(), form);
        let mut bad = form.clone();
        bad.email = "zhang".into();
        assert_eq!(
            Agent::parse(&bad, &mobile, today).unwrap_err().field,
            "email"
        );
        let mut bad = form.clone();
        bad.id_number = "110105194912310021".into();
        let e = Agent::parse(&bad, &mobile, today).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("id_number", "invalid_id_number")
        );
    }

    #[test]
    fn a_fixed_title_is_the_holders_whatever_is_typed() {
        let mut channel = huanbao();
        let form = InvoiceForm {
            needed: true,
            kind: "electronic_normal".into(),
            title: "别的抬头".into(),
            email: "fp@example.cn".into(),
            ..InvoiceForm::default()
        };
        let typed = Invoice::parse(&form, &channel, "甲公司").unwrap();
        assert!(
            matches!(typed, Invoice::ElectronicNormal { ref title, .. } if title == "别的抬头")
        );
        channel.invoice.title_fixed = true;
        let fixed = Invoice::parse(&form, &channel, "甲公司").unwrap();
        assert!(matches!(fixed, Invoice::ElectronicNormal { ref title, .. } if title == "甲公司"));
    }

    #[test]
    fn invoices_by_kind() {
        let channel = huanbao();
        let off = InvoiceForm::default();
        assert_eq!(
            Invoice::parse(&off, &channel, "X").unwrap(),
            Invoice::NotNeeded
        );
        let kind = channel.invoice.default.as_str();
        let form = InvoiceForm {
            needed: true,
            kind: kind.into(),
            email: "fp@example.cn".into(),
            ..InvoiceForm::default()
        };
        let invoice = Invoice::parse(&form, &channel, "北京环保科技有限公司").unwrap();
        assert_eq!(
            Invoice::parse(&invoice.to_form(), &channel, "?").unwrap(),
            invoice
        );
        match invoice {
            Invoice::ElectronicNormal { title, .. } | Invoice::PaperNormal { title } => {
                assert_eq!(title, "北京环保科技有限公司")
            }
            other => panic!("{other:?}"),
        }
        let vat = InvoiceForm {
            needed: true,
            kind: "vat_special".into(),
            taxpayer_id: "91350100M000100Y43".into(),
            address_phone: "福州市五四路1号 0591-87654321".into(),
            bank: "中国银行福州分行".into(),
            account: "1234 5678 9012".into(),
            ..InvoiceForm::default()
        };
        let mut vat_channel = channel.clone();
        vat_channel.invoice.kinds.push(InvoiceKind::VatSpecial);
        let parsed = Invoice::parse(&vat, &vat_channel, "X").unwrap();
        assert!(
            matches!(parsed, Invoice::VatSpecial { ref account, .. } if account == "123456789012")
        );
        if !channel.invoice.kinds.contains(&InvoiceKind::VatSpecial) {
            assert_eq!(
                Invoice::parse(&vat, &channel, "X").unwrap_err().field,
                "invoice.kind"
            );
        }
        for (field, change) in [
            ("invoice.taxpayer_id", ("taxpayer_id", "91350100M000100Y44")),
            ("invoice.bank", ("bank", "")),
            ("invoice.address_phone", ("address_phone", " ")),
            ("invoice.account", ("account", "12ab")),
        ] {
            let mut bad = vat.clone();
            match change.0 {
                "taxpayer_id" => bad.taxpayer_id = change.1.into(),
                "bank" => bad.bank = change.1.into(),
                "address_phone" => bad.address_phone = change.1.into(),
                _ => bad.account = change.1.into(),
            }
            assert_eq!(
                Invoice::parse(&bad, &vat_channel, "X").unwrap_err().field,
                field
            );
        }
    }

    #[test]
    fn the_next_step_is_the_first_missing_part() {
        let channel = huanbao();
        let (choice, holder) =
            ProductChoice::parse(&channel, &channel.products[0].code, 1, 1).unwrap();
        let mut content = Content::new(choice, holder);
        assert_eq!(content.next_step(&channel), Step::Subject);
        assert!(!content.has(Step::Agent, &channel));
        content.subject = Some(Subject::Individual(Individual {
            name: "李四".into(),
            id_number: "11010519491231002X".into(),
            address: "北京".into(),
        }));
        assert_eq!(content.next_step(&channel), Step::Agent);
        assert!(content.has(Step::Subject, &channel));
        assert_eq!(
            serde_json::from_str::<Content>(&serde_json::to_string(&content).unwrap()).unwrap(),
            content
        );
    }

    #[test]
    fn verification_is_a_step_where_the_channel_offers_it() {
        use crate::application::verification::{Method, Outcome};
        let mut channel = huanbao();
        let (choice, holder) = ProductChoice::parse(&channel, "org-usbkey", 1, 1).unwrap();
        let mut content = Content::new(choice, holder);
        content.subject = Some(Subject::Organisation(
            Organisation::parse(&organisation(), &channel).unwrap(),
        ));
        content.agent = Some(Agent {
            name: "张三".into(),
            mobile: "13800138000".parse().unwrap(),
            email: "a@example.com".into(),
            landline: None,
            position: None,
            id_number: "11010519491231002X".into(),
        });
        content.shipping = Some(Shipping {
            courier: channel.couriers[0].code.clone(),
            address: AddressInput::default(),
        });
        content.invoice = Some(Invoice::NotNeeded);
        assert_eq!(content.next_step(&channel), Step::Documents);
        channel.verification.methods = vec![Method::PennyDrop, Method::AgentMobile];
        assert_eq!(content.next_step(&channel), Step::Verification);
        content.verification.organisation = Some(Outcome::Documents { at: 1 });
        assert_eq!(content.next_step(&channel), Step::Verification);
        content.verification.agent = Some(Outcome::Agent {
            method: Method::AgentMobile,
            check: 1,
            at: 2,
        });
        assert_eq!(content.next_step(&channel), Step::Documents);

        // A changed agent forgets the agent's verification, not the organisation's.
        let before = content.clone();
        content.agent.as_mut().unwrap().name = "李四".into();
        content.keep_verification_of(&before);
        assert!(content.verification.agent.is_none());
        assert!(content.verification.organisation.is_some());
        assert_eq!(content.next_step(&channel), Step::Verification);
    }
}
