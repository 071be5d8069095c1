//! 我的订单 and paying: the list of the customer's orders with their payment status and
//! actions; 下单缴费, where submitted applications waiting for an order are ticked (one
//! holder per order) and the payment method chosen; and one order's page with its lines,
//! the channel's remittance instructions (the payee spelled exactly), the voucher upload
//! (汇款户名, 汇款日期, the image) and cancellation. Plain HTML forms calling the same use
//! cases as `/api/v1/orders`; a refusal re-renders the form with the field named.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::channel::PaymentMethod;
use domain::order::OrderStatus;
use serde::Deserialize;
use services::flows::application::Application;
use services::flows::order::{self, Order};
use services::flows::{cancel, pay, place};

use super::SignedIn;
use crate::AppState;
use crate::pages::console::payments::order_class;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, hall_frame, local_time, render,
    run_form, see_other, status_and_error,
};

#[derive(Template)]
#[template(path = "account/orders.html")]
struct ListPage {
    chrome: Chrome,
    orders: Vec<Order>,
    /// Submitted applications not yet in an order.
    waiting: usize,
}
framed!(ListPage);

impl ListPage {
    fn badge(&self, status: &OrderStatus) -> &'static str {
        order_class(*status)
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
}

pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
) -> Response {
    let chrome = hall_frame(&state, &request, Some(&customer));
    let waiting = order::awaiting_order(&state.app, &customer)
        .await
        .map(|w| w.len())
        .unwrap_or_default();
    match order::mine(&state.app, &customer).await {
        Ok(orders) => render(
            StatusCode::OK,
            &ListPage {
                chrome,
                orders,
                waiting,
            },
        ),
        Err(e) => error_page(chrome, &e),
    }
}

/// Applications of one holder in one channel, which one order may take together.
struct Group {
    channel_name: (String, String),
    holder: String,
    applications: Vec<Application>,
    /// The methods the channel offers for every business in the group.
    methods: Vec<PaymentMethod>,
}

#[derive(Template)]
#[template(path = "account/order_new.html")]
struct NewPage {
    chrome: Chrome,
    groups: Vec<Group>,
    /// What was ticked (kept on a refusal).
    ticked: Vec<i64>,
    error: Option<FormError>,
}
framed!(NewPage);

impl NewPage {
    fn is_ticked(&self, id: &i64) -> bool {
        self.ticked.contains(id)
    }
    fn method_value(&self, method: &PaymentMethod) -> &'static str {
        method.as_str()
    }
    fn price(&self, a: &Application) -> String {
        a.price.map(|p| p.yuan()).unwrap_or_default()
    }
}

fn grouped(app: &services::App, waiting: Vec<Application>) -> Vec<Group> {
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for a in waiting {
        let holder = a
            .content
            .subject
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        let methods = order::offered_methods(app, &a.channel, a.business);
        let group = groups
            .entry((a.channel.code.clone(), holder.clone()))
            .or_insert_with(|| Group {
                channel_name: (a.channel.name_zh.clone(), a.channel.name_en.clone()),
                holder,
                applications: Vec::new(),
                methods: methods.clone(),
            });
        group.methods.retain(|m| methods.contains(m));
        group.applications.push(a);
    }
    groups.into_values().collect()
}

async fn show_new(
    state: &AppState,
    request: &PageRequest,
    customer: &services::people::accounts::CustomerSession,
    ticked: Vec<i64>,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let chrome = hall_frame(state, request, Some(customer));
    let waiting = match order::awaiting_order(&state.app, customer).await {
        Ok(waiting) => waiting,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &NewPage {
            chrome,
            groups: grouped(&state.app, waiting),
            ticked,
            error,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct PickQuery {
    /// An application to tick at first (the 下单缴费 button of its page).
    #[serde(default)]
    application: Option<i64>,
}

pub async fn new_form(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    axum::extract::Query(query): axum::extract::Query<PickQuery>,
) -> Response {
    let ticked = query.application.into_iter().collect();
    show_new(&state, &request, &customer, ticked, None).await
}

#[derive(Deserialize, Default)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    applications: Vec<String>,
    #[serde(default)]
    method: String,
}

pub async fn place_order(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Form(form): Form<PlaceForm>,
) -> Response {
    let ticked: Vec<i64> = form
        .applications
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        let method = PaymentMethod::parse(&form.method).ok_or_else(|| {
            services::ServiceError::new(
                services::ErrorKind::Invalid,
                "invalid_method",
                "choose how to pay",
                "请选择支付方式",
            )
            .with_field("method")
        })?;
        let input = place::PlaceOrder {
            applications: ticked.clone(),
            method,
        };
        let id = place::place(&state.app, &customer, &input).await?;
        Ok(see_other(&format!("/orders/{id}"), None))
    })
    .await;
    match result {
        Ok(done) => done,
        Err(error) => show_new(&state, &request, &customer, ticked, Some(error)).await,
    }
}

#[derive(Template)]
#[template(path = "account/order.html")]
struct OrderPage {
    chrome: Chrome,
    order: Order,
    error: Option<FormError>,
    /// What was typed into the voucher form (kept on a refusal).
    remitter: String,
    remitted_on: String,
    today: String,
    /// The QR code to pay online, once asked for.
    code: Option<pay::OnlineCode>,
    /// The QR code of a phone link for the voucher, once asked for.
    phone: Option<pay::VoucherLink>,
    /// The online providers configured (name), in the order offered.
    providers: Vec<&'static str>,
}
framed!(OrderPage);

impl OrderPage {
    fn badge(&self) -> &'static str {
        order_class(self.order.status)
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn takes_voucher(&self) -> bool {
        self.order.method == PaymentMethod::BankTransfer
            && matches!(
                self.order.status,
                OrderStatus::AwaitingPayment
                    | OrderStatus::AwaitingConfirmation
                    | OrderStatus::PaymentException
            )
    }
    fn can_cancel(&self) -> bool {
        matches!(
            self.order.status,
            OrderStatus::AwaitingPayment | OrderStatus::PaymentException
        )
    }
    fn in_exception(&self) -> bool {
        self.order.status == OrderStatus::PaymentException
    }
    fn is_transfer(&self) -> bool {
        self.order.method == PaymentMethod::BankTransfer
    }
    /// The button of provider `name`.
    fn provider_button(&self, name: &str) -> &'static str {
        match name {
            "wechat" => self.chrome.pick("微信扫码支付", "Pay with WeChat Pay"),
            _ => self.chrome.pick("支付宝扫码支付", "Pay with Alipay"),
        }
    }
    /// What the buyer scans with.
    fn provider_app(&self, name: &str) -> &'static str {
        match name {
            "wechat" => self.chrome.pick("微信", "WeChat"),
            _ => self.chrome.pick("支付宝", "Alipay"),
        }
    }
    fn pays_online(&self) -> bool {
        // 支付异常 online: another amount was paid and goes back; the order is paid again.
        self.order.method == PaymentMethod::Online
            && matches!(
                self.order.status,
                OrderStatus::AwaitingPayment | OrderStatus::PaymentException
            )
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    customer: &services::people::accounts::CustomerSession,
    id: &str,
    posted: Option<(pay::TransferForm, (FormError, StatusCode))>,
) -> Response {
    let posted = posted.map(|(typed, refusal)| (typed, Some(refusal)));
    show_with(state, request, customer, id, posted, None, None).await
}

async fn show_with(
    state: &AppState,
    request: &PageRequest,
    customer: &services::people::accounts::CustomerSession,
    id: &str,
    // What was typed into the voucher form, and why it was refused (if it was).
    posted: Option<(pay::TransferForm, Option<(FormError, StatusCode)>)>,
    code: Option<pay::OnlineCode>,
    phone: Option<pay::VoucherLink>,
) -> Response {
    let chrome = hall_frame(state, request, Some(customer));
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &order::not_found(0));
    };
    let order = match order::get(&state.app, &customer.actor(), id).await {
        Ok(order) => order,
        Err(e) => return error_page(chrome, &e),
    };
    let (typed, refusal) = match posted {
        Some((typed, refusal)) => (typed, refusal),
        None => (
            pay::TransferForm {
                remitter: order.holder_name.clone(),
                remitted_on: String::new(),
            },
            None,
        ),
    };
    let (status, error) = status_and_error(refusal);
    let today = state.app.today().to_string();
    let providers = state
        .app
        .online_payments_for(&order.channel.code)
        .iter()
        .map(|p| p.name)
        .collect();
    render(
        status,
        &OrderPage {
            chrome,
            order,
            error,
            remitter: typed.remitter,
            remitted_on: typed.remitted_on,
            today,
            code,
            phone,
            providers,
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
) -> Response {
    show(&state, &request, &customer, &id, None).await
}

#[derive(Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn cancel_order(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        let number = id.parse::<i64>().map_err(|_| order::not_found(0))?;
        cancel::cancel_order(&state.app, &customer, number).await?;
        Ok(see_other(&format!("/orders/{number}"), None))
    })
    .await;
    match result {
        Ok(done) => done,
        Err(error) => {
            let typed = pay::TransferForm::default();
            show(&state, &request, &customer, &id, Some((typed, error))).await
        }
    }
}

pub async fn upload_voucher(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let mut typed = pay::TransferForm::default();
    let result: Result<Response, (FormError, StatusCode)> = async {
        let limit = state.app.documents.max_upload_bytes;
        let sent = crate::upload::read(form, limit, &["remitter", "remitted_on"])
            .await
            .map_err(|e| FormError::failed(&e, request.lang))?;
        typed.remitter = sent.field("remitter");
        typed.remitted_on = sent.field("remitted_on");
        run_form(&request, &sent.csrf, Some(&customer.live), || async {
            let number = id.parse::<i64>().map_err(|_| order::not_found(0))?;
            pay::upload_voucher(&state.app, &customer, number, &typed, sent.bytes).await?;
            Ok(see_other(&format!("/orders/{number}"), None))
        })
        .await
    }
    .await;
    match result {
        Ok(done) => done,
        Err(error) => show(&state, &request, &customer, &id, Some((typed, error))).await,
    }
}

#[derive(Deserialize, Default)]
pub struct VoucherLinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    remitter: String,
    #[serde(default)]
    remitted_on: String,
}

/// 用手机拍照上传: the voucher form's remitter and date, and a QR code for the phone that
/// takes the photo.
pub async fn voucher_link(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<VoucherLinkForm>,
) -> Response {
    let typed = pay::TransferForm {
        remitter: form.remitter.clone(),
        remitted_on: form.remitted_on.clone(),
    };
    let mut link = None;
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        let number = id.parse::<i64>().map_err(|_| order::not_found(0))?;
        link = Some(pay::voucher_link(&state.app, &customer, number, &typed).await?);
        Ok(see_other(&format!("/orders/{number}"), None))
    })
    .await;
    match result {
        // The page again, with the QR code for the phone (as 扫码支付 shows its code) and
        // what was typed, which goes with the photo.
        Ok(_) => {
            let kept = Some((typed, None));
            show_with(&state, &request, &customer, &id, kept, None, link).await
        }
        Err(error) => show(&state, &request, &customer, &id, Some((typed, error))).await,
    }
}

pub async fn voucher(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path((id, voucher)): Path<(String, String)>,
) -> Response {
    let chrome = hall_frame(&state, &request, Some(&customer));
    let (Ok(id), Ok(voucher)) = (id.parse::<i64>(), voucher.parse::<i64>()) else {
        return error_page(chrome, &order::not_found(0));
    };
    match pay::voucher_image(&state.app, &customer.actor(), id, voucher, false).await {
        Ok(jpeg) => crate::upload::image_response(jpeg, "voucher"),
        Err(e) => error_page(chrome, &e),
    }
}

/// 电子发票下载: a file of an issued invoice of the customer's order.
pub async fn invoice_file(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path((id, invoice, format)): Path<(String, String, String)>,
) -> Response {
    let chrome = hall_frame(&state, &request, Some(&customer));
    let (Ok(id), Ok(invoice)) = (id.parse::<i64>(), invoice.parse::<i64>()) else {
        return error_page(chrome, &order::not_found(0));
    };
    match services::flows::invoice::download(&state.app, &customer.actor(), id, invoice, &format)
        .await
    {
        Ok(file) => crate::upload::invoice_response(file),
        Err(e) => error_page(chrome, &e),
    }
}

/// 扫码支付: the QR code of the order's pending attempt (or a new one), on the order page.
#[derive(Deserialize, Default)]
pub struct PayOnlineForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
}

pub async fn pay_online(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<PayOnlineForm>,
) -> Response {
    let mut code = None;
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        let number = id.parse::<i64>().map_err(|_| order::not_found(0))?;
        let provider = Some(form.provider.as_str()).filter(|p| !p.is_empty());
        code = Some(pay::online(&state.app, &customer, number, provider).await?);
        Ok(see_other(&format!("/orders/{number}"), None))
    })
    .await;
    match result {
        Ok(_) => show_with(&state, &request, &customer, &id, None, code, None).await,
        Err(error) => {
            let typed = pay::TransferForm::default();
            show(&state, &request, &customer, &id, Some((typed, error))).await
        }
    }
}

/// The order's status, for the page's poll while a QR code is shown.
pub async fn order_state(
    State(state): State<AppState>,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let found = match id.parse::<i64>() {
        Ok(id) => order::get(&state.app, &customer.actor(), id).await.ok(),
        Err(_) => None,
    };
    match found {
        Some(order) => super::applications::not_stored_json(
            serde_json::json!({"status": domain::Status::as_str(order.status)}),
        ),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
