//! 财务核款 in the console: the bank transfers whose vouchers wait to be checked against the
//! account, with their age, and the orders in exception; one order with its lines, the
//! remittance it should have reached, the vouchers (newest first, the image beside), and
//! finance's actions: confirm the payment (核款), or mark an exception (支付异常) with a
//! reason the customer reads. The use cases check the role and the separation of duties;
//! this page only leaves out the buttons the status does not allow.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use domain::channel::PaymentMethod;
use domain::order::OrderStatus;
use serde::Deserialize;
use services::ServiceError;
use services::flows::confirm_payment::{self, QueueItem};
use services::flows::order::{self, Order};
use services::flows::{pay, refund};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, local_time, render, see_other,
    status_and_error,
};

const FINANCE: [Role; 2] = [Role::Finance, Role::Admin];

/// The badge class of an order's status.
pub(crate) fn order_class(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::AwaitingPayment | OrderStatus::AwaitingConfirmation => "wait",
        OrderStatus::Paid => "good",
        OrderStatus::PaymentException
        | OrderStatus::Cancelled
        | OrderStatus::Closed
        | OrderStatus::Refunded => "bad",
    }
}

/// "3 天 4 小时" / "3 d 4 h": how long something has waited.
pub(crate) fn age(chrome: &Chrome, seconds: i64) -> String {
    let hours = seconds.max(0) / 3600;
    let (days, hours) = (hours / 24, hours % 24);
    if days > 0 {
        format!(
            "{days}{}{hours}{}",
            chrome.pick(" 天 ", " d "),
            chrome.pick(" 小时", " h")
        )
    } else {
        format!("{hours}{}", chrome.pick(" 小时", " h"))
    }
}

#[derive(Template)]
#[template(path = "console/payments.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<QueueItem>,
    notices: Vec<pay::NoticeEntry>,
    refunds: Vec<refund::Refund>,
}
framed!(QueuePage);

impl QueuePage {
    fn badge(&self, status: &OrderStatus) -> &'static str {
        order_class(*status)
    }
    fn waited(&self, item: &QueueItem) -> String {
        age(&self.chrome, item.waiting)
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn latest(&self, item: &QueueItem) -> String {
        item.order
            .vouchers
            .first()
            .map(|v| format!("{} · {}", v.remitter, v.remitted_on))
            .unwrap_or_default()
    }
}

pub async fn queue(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let actor = operator.actor();
    match (
        confirm_payment::queue(&state.app, &actor).await,
        pay::money_log(&state.app, &actor).await,
    ) {
        (Ok(items), Ok((notices, refunds))) => render(
            StatusCode::OK,
            &QueuePage {
                chrome,
                items,
                notices,
                refunds,
            },
        ),
        (Err(e), _) | (_, Err(e)) => error_page(chrome, &e),
    }
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    chrome: Chrome,
    order: Order,
    error: Option<FormError>,
    /// What finance typed in the refused form (kept, not lost).
    typed: FinanceForm,
}
framed!(OrderPage);

impl OrderPage {
    fn badge(&self) -> &'static str {
        order_class(self.order.status)
    }
    fn in_exception(&self) -> bool {
        self.order.status == OrderStatus::PaymentException
    }
    fn awaits_confirmation(&self) -> bool {
        self.order.status == OrderStatus::AwaitingConfirmation
    }
    fn is_transfer(&self) -> bool {
        self.order.method == PaymentMethod::BankTransfer
    }
    fn refundable(&self) -> bool {
        matches!(self.order.status, OrderStatus::Paid | OrderStatus::Refunded)
    }
    /// Refunded once already: a further refund of what is left.
    fn further(&self) -> bool {
        self.order.status == OrderStatus::Refunded
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    id: &str,
    error: Option<(FormError, StatusCode)>,
    typed: FinanceForm,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &order::not_found(0));
    };
    let order = match order::get(&state.app, &operator.actor(), id).await {
        Ok(order) => order,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &OrderPage {
            chrome,
            order,
            error,
            typed,
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Response {
    show(&state, &request, &id, None, FinanceForm::default()).await
}

#[derive(Deserialize, Default)]
pub struct FinanceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    amount: String,
}

pub async fn act(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<FinanceForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &FINANCE, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let actor = operator.actor();
    let Ok(number) = id.parse::<i64>() else {
        return error_page(chrome, &order::not_found(0));
    };
    let result: Result<(), ServiceError> = match action.as_str() {
        "confirm" => confirm_payment::confirm(&state.app, &actor, number).await,
        "exception" => {
            confirm_payment::raise_exception(&state.app, &actor, number, &form.reason).await
        }
        "refund" => {
            let refund = refund::RefundForm {
                amount: form.amount.clone(),
                reason: form.reason.clone(),
            };
            match refund::refund(&state.app, &actor, number, &refund).await {
                Ok(_) => return see_other(&format!("/console/orders/{number}"), None),
                Err(e) => Err(e),
            }
        }
        _ => Err(order::not_found(number)),
    };
    match result {
        Ok(()) => see_other("/console/payments", None),
        Err(e) => {
            show(
                &state,
                &request,
                &id,
                Some(FormError::failed(&e, request.lang)),
                form,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_reference: String,
}

/// Finance records that a refund went back by bank transfer.
pub async fn record_transfer(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &FINANCE, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &order::not_found(0));
    };
    let actor = operator.actor();
    match refund::record_transfer(&state.app, &actor, id, &form.bank_reference).await {
        Ok(order_id) => see_other(&format!("/console/orders/{order_id}"), None),
        Err(e) => error_page(chrome, &e),
    }
}

/// A voucher's image (`thumbnail` for the small one), for finance.
pub async fn voucher(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, voucher)): Path<(String, String)>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (Ok(id), Ok(voucher)) = (id.parse::<i64>(), voucher.parse::<i64>()) else {
        return error_page(chrome, &order::not_found(0));
    };
    match pay::voucher_image(&state.app, &operator.actor(), id, voucher, false).await {
        Ok(jpeg) => crate::upload::image_response(jpeg, "voucher"),
        Err(e) => error_page(chrome, &e),
    }
}
