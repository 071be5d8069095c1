//! A channel's page (`/c/{code}`): its products, fees, business, delivery and rules.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::channel::{Channel, Holder};
use domain::{BusinessType, Fen};

use super::public_frame;
use crate::AppState;
use crate::pages::{Chrome, PageRequest, error_page, framed, render};

/// One row of the business table.
pub struct BusinessRow {
    pub name: &'static str,
    pub online: bool,
    pub counter: bool,
    pub fee: String,
    pub payment: String,
}

/// One row of the product table.
pub struct ProductRow {
    pub name: String,
    pub holder: &'static str,
    /// "1 年：¥260.00", one per validity option.
    pub prices: Vec<String>,
}

pub struct FieldRow {
    pub label: String,
    pub help: String,
    pub required: bool,
}

#[derive(Template)]
#[template(path = "hall/channel.html")]
struct ChannelPage {
    chrome: Chrome,
    channel: Channel,
    name: String,
    summary: String,
    relying_system: String,
    applicants: Vec<&'static str>,
    offers_new_online: bool,
    business: Vec<BusinessRow>,
    products: Vec<ProductRow>,
    couriers: Vec<String>,
    fields: Vec<FieldRow>,
    invoices: Vec<&'static str>,
    pin_note: String,
    agreement_title: String,
    agreement: String,
    letter_title: Option<String>,
    remittance_notes: String,
    counter_address: Option<String>,
}
framed!(ChannelPage);

fn money(fee: Fen, free: &str) -> String {
    if fee == Fen::ZERO {
        free.to_string()
    } else {
        fee.to_string()
    }
}

pub async fn channel_page(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
) -> Response {
    let chrome = public_frame(&state, &request).await;
    let ch = match services::hall::channels::get_enabled(&state.app, &code).await {
        Ok(ch) => ch,
        Err(e) => return error_page(chrome, &e),
    };
    let en = chrome.is_en();
    let pick = |zh: &str, en_text: &str| {
        if en {
            en_text.to_string()
        } else {
            zh.to_string()
        }
    };
    let free = chrome.t.t("channel.free");
    let business = ch
        .offered()
        .map(|(b, rule)| {
            let fee = ch.fees.of(b);
            let fee = match b {
                BusinessType::Renewal if fee > Fen::ZERO => {
                    format!("{fee} {}", chrome.t.t("channel.per_year"))
                }
                BusinessType::DamageReplacement if fee > Fen::ZERO => {
                    format!("{fee} {}", chrome.t.t("channel.free_in_warranty"))
                }
                _ => money(fee, free),
            };
            BusinessRow {
                name: if en { b.name_en() } else { b.name_zh() },
                online: rule.online,
                counter: rule.counter,
                fee,
                payment: rule
                    .payment_methods
                    .iter()
                    .map(|m| if en { m.name_en() } else { m.name_zh() })
                    .collect::<Vec<_>>()
                    .join(if en { ", " } else { "、" }),
            }
        })
        .collect();
    let products = ch
        .products
        .iter()
        .map(|p| ProductRow {
            name: pick(&p.name_zh, &p.name_en),
            holder: match p.holder {
                Holder::Organization => chrome.t.t("channel.holder_org"),
                Holder::Individual => chrome.t.t("channel.holder_person"),
            },
            prices: p
                .validity_years
                .iter()
                .map(|&years| {
                    let price = ch.fees.new_certificate(years).unwrap_or(Fen::ZERO);
                    if en {
                        format!("{years} year{}: {price}", if years > 1 { "s" } else { "" })
                    } else {
                        format!("{years} 年：{price}")
                    }
                })
                .collect(),
        })
        .collect();
    let page = ChannelPage {
        name: pick(&ch.name_zh, &ch.name_en),
        summary: pick(&ch.summary_zh, &ch.summary_en),
        relying_system: pick(&ch.relying_system.name_zh, &ch.relying_system.name_en),
        applicants: ch
            .applicants
            .iter()
            .map(|a| if en { a.name_en() } else { a.name_zh() })
            .collect(),
        offers_new_online: ch
            .business
            .get(&BusinessType::New)
            .is_some_and(|rule| rule.online),
        business,
        products,
        couriers: ch
            .couriers
            .iter()
            .map(|c| pick(&c.name_zh, &c.name_en))
            .collect(),
        fields: ch
            .custom_fields
            .iter()
            .map(|f| FieldRow {
                label: pick(&f.label_zh, &f.label_en),
                help: pick(&f.help_zh, &f.help_en),
                required: f.required,
            })
            .collect(),
        invoices: ch
            .invoice
            .kinds
            .iter()
            .map(|k| if en { k.name_en() } else { k.name_zh() })
            .collect(),
        pin_note: pick(&ch.pin.note_zh, &ch.pin.note_en),
        agreement_title: pick(&ch.agreement.title_zh, &ch.agreement.title_en),
        agreement: pick(&ch.agreement.zh, &ch.agreement.en),
        letter_title: ch
            .authorization_letter
            .as_ref()
            .map(|l| pick(&l.title_zh, &l.title_en)),
        remittance_notes: ch
            .remittance
            .as_ref()
            .map(|r| pick(&r.notes_zh, &r.notes_en))
            .unwrap_or_default(),
        counter_address: ch
            .counter
            .as_ref()
            .map(|c| format!("{} ({})", pick(&c.address_zh, &c.address_en), c.hours)),
        chrome,
        channel: ch,
    };
    render(StatusCode::OK, &page)
}
