//! The customer's orders over the API (`/api/v1/orders`): the submitted applications
//! waiting for an order, placing one, reading one or all, uploading a transfer's voucher,
//! reading a voucher back, cancelling an unpaid order. Only the session's own customer is
//! ever read or changed: another customer's id is "not found", exactly like one that does
//! not exist (the use cases check it).

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::Lang;
use domain::channel::PaymentMethod;
use serde::{Deserialize, Serialize};
use services::flows::order::{self, Order};
use services::flows::{cancel, pay, place};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Customer, CustomerWithCsrf};
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list).post(place_order))
        .route("/orders/awaiting-applications", get(awaiting))
        .route("/orders/{id}", get(one))
        .route("/orders/{id}/cancellation", post(cancel_order))
        .route(
            "/orders/{id}/voucher",
            post(upload_voucher).layer(DefaultBodyLimit::max(
                super::applications::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/orders/{id}/vouchers/{voucher}", get(get_voucher))
        .route("/orders/{id}/invoices/{invoice}/{format}", get(get_invoice))
        .route("/orders/{id}/online-payment", post(pay_online))
}

/// An order id from the path; anything else is "not found" like an unknown id.
pub(crate) fn order_id(text: &str, lang: Lang) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(order::not_found(0), lang))
}

#[derive(Serialize, ToSchema)]
pub struct LineView {
    application_id: i64,
    application_number: String,
    description: String,
    amount_fen: u64,
}

#[derive(Serialize, ToSchema)]
pub struct VoucherView {
    id: i64,
    /// SHA-256 (hex) of the stored (re-encoded) image.
    sha256: String,
    remitter: String,
    remitted_on: String,
    at: i64,
}

/// Where a bank transfer goes (the payee spelled exactly as the bank knows it).
#[derive(Serialize, ToSchema)]
pub struct RemittanceView {
    payee: String,
    bank: String,
    account: String,
    notes: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvoiceView {
    id: i64,
    /// `electronic_normal`, `paper_normal` or `vat_special`.
    kind: String,
    title: String,
    amount_fen: u64,
    /// `requested`, `issued`, `mailed` or `withdrawn`.
    status: String,
    status_name: String,
    /// The promise: issued (electronic) or mailed (paper) by then.
    due_at: i64,
    number: Option<String>,
    issued_on: Option<String>,
    /// The files to download: `pdf`, and `ofd` or `xml` when issued with one.
    formats: Vec<String>,
    courier: Option<String>,
    tracking_no: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RefundView {
    refund_no: String,
    amount_fen: u64,
    /// `pending`, `abnormal` (the provider could not make it: finance transfers it) or
    /// `refunded`.
    status: String,
    /// To the account that paid online; else by bank transfer.
    online: bool,
    reason: String,
    refunded_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    id: i64,
    number: String,
    /// `awaiting_payment`, `awaiting_confirmation`, `payment_exception`, `paid`,
    /// `cancelled`, `closed`, `refunded`.
    status: String,
    status_name: String,
    channel: String,
    holder_name: String,
    /// The amount in fen (integer).
    amount_fen: u64,
    /// The amount in yuan, two decimals.
    amount: String,
    /// `bank_transfer` or `online`.
    method: String,
    exception_reason: Option<String>,
    lines: Vec<LineView>,
    vouchers: Vec<VoucherView>,
    /// Money given back (finance's refund of the cancelled order, or a payment the order
    /// could not use), oldest first.
    refunds: Vec<RefundView>,
    /// The invoices requested when it was paid.
    invoices: Vec<InvoiceView>,
    remittance: Option<RemittanceView>,
    created_at: i64,
    paid_at: Option<i64>,
}

fn view(order: Order, lang: Lang) -> OrderView {
    let remittance = match order.method {
        PaymentMethod::BankTransfer => order.channel.remittance.as_ref().map(|r| RemittanceView {
            payee: r.payee.clone(),
            bank: r.bank.clone(),
            account: r.account.clone(),
            notes: lang.pick(&r.notes_zh, &r.notes_en).to_string(),
        }),
        PaymentMethod::Online => None,
    };
    OrderView {
        id: order.id,
        number: order.number,
        status: domain::Status::as_str(order.status).into(),
        status_name: lang
            .pick(order.status.name_zh(), order.status.name_en())
            .into(),
        channel: order.channel.code.clone(),
        holder_name: order.holder_name,
        amount_fen: order.amount.0,
        amount: order.amount.yuan(),
        method: order.method.as_str().into(),
        exception_reason: order.exception_reason,
        lines: order
            .lines
            .into_iter()
            .map(|l| LineView {
                application_id: l.application_id,
                application_number: l.application_number,
                description: l.description,
                amount_fen: l.amount.0,
            })
            .collect(),
        vouchers: order
            .vouchers
            .into_iter()
            .map(|v| VoucherView {
                id: v.id,
                sha256: v.sha256,
                remitter: v.remitter,
                remitted_on: v.remitted_on,
                at: v.at,
            })
            .collect(),
        refunds: order
            .refunds
            .into_iter()
            .map(|r| RefundView {
                refund_no: r.refund_no,
                amount_fen: r.amount.0,
                status: domain::Status::as_str(r.status).into(),
                online: r.online,
                reason: r.reason,
                refunded_at: r.refunded_at,
            })
            .collect(),
        invoices: order
            .invoices
            .into_iter()
            .map(|i| InvoiceView {
                id: i.id,
                kind: i.kind.as_str().into(),
                title: i.title,
                amount_fen: i.amount.0,
                status: domain::Status::as_str(i.status).into(),
                status_name: lang.pick(i.status.name_zh(), i.status.name_en()).into(),
                due_at: i.due_at,
                formats: i
                    .number
                    .as_ref()
                    .map(|_| "pdf".to_string())
                    .into_iter()
                    .chain(i.other_format)
                    .collect(),
                number: i.number,
                issued_on: i.issued_on,
                courier: i.courier,
                tracking_no: i.tracking_no,
            })
            .collect(),
        remittance,
        created_at: order.created_at,
        paid_at: order.paid_at,
    }
}

/// The customer's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", security(("customer" = [])), responses((status = 200, body = Vec<OrderView>)))]
pub async fn list(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
) -> Result<Json<Vec<OrderView>>, ApiError> {
    let orders = order::mine(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(orders.into_iter().map(|o| view(o, lang)).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct AwaitingView {
    id: i64,
    number: String,
    channel: String,
    holder_name: String,
    business: String,
    amount_fen: u64,
    /// The payment methods offered for it (the channel's; online once a provider is configured).
    methods: Vec<String>,
}

/// The customer's submitted applications waiting to be put into an order.
#[utoipa::path(get, path = "/api/v1/orders/awaiting-applications", security(("customer" = [])), responses((status = 200, body = Vec<AwaitingView>)))]
pub async fn awaiting(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
) -> Result<Json<Vec<AwaitingView>>, ApiError> {
    let waiting = order::awaiting_order(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        waiting
            .into_iter()
            .map(|a| AwaitingView {
                methods: order::offered_methods(&state.app, &a.channel, a.business)
                    .into_iter()
                    .map(|m| m.as_str().to_string())
                    .collect(),
                id: a.id,
                number: a.number,
                channel: a.channel.code.clone(),
                holder_name: a
                    .content
                    .subject
                    .as_ref()
                    .map(|s| s.name().to_string())
                    .unwrap_or_default(),
                business: a.business.as_str().into(),
                amount_fen: a.price.map(|p| p.0).unwrap_or_default(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceBody {
    /// Ids of submitted applications of one holder in one channel (1 to 20).
    applications: Vec<i64>,
    /// `bank_transfer` or `online`.
    #[schema(pattern = "^(bank_transfer|online)$")]
    method: String,
}

/// Places an order of submitted applications of one holder, priced from the channel's fees.
#[utoipa::path(post, path = "/api/v1/orders", request_body = PlaceBody, security(("customer" = [])), responses(
    (status = 201, body = OrderView), (status = 404, body = ErrorBody, description = "an application that is not the customer's"),
    (status = 409, body = ErrorBody, description = "an application was put into another order meanwhile"),
    (status = 422, body = ErrorBody, description = "an application not waiting for an order, holders mixed, or a method not offered; `field` names it"),
))]
pub async fn place_order(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    ApiJson(body): ApiJson<PlaceBody>,
) -> Result<impl IntoResponse, ApiError> {
    let method = PaymentMethod::parse(&body.method).ok_or_else(|| {
        ApiError::new(
            services::ServiceError::new(
                services::ErrorKind::Invalid,
                "invalid_method",
                "bank_transfer or online",
                "支付方式应为 bank_transfer 或 online",
            )
            .with_field("method"),
            lang,
        )
    })?;
    let input = place::PlaceOrder {
        applications: body.applications,
        method,
    };
    let id = place::place(&state.app, &session, &input)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let placed = order::get(&state.app, &session.actor(), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok((StatusCode::CREATED, Json(view(placed, lang))))
}

/// One of the customer's orders.
#[utoipa::path(get, path = "/api/v1/orders/{id}", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = OrderView), (status = 404, body = ErrorBody),
))]
pub async fn one(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    let id = order_id(&id, lang)?;
    let found = order::get(&state.app, &session.actor(), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found, lang)))
}

/// Cancels an unpaid order; its applications wait for a new order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancellation", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "paid, closed, or its voucher waits for finance"),
))]
pub async fn cancel_order(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    let id = order_id(&id, lang)?;
    cancel::cancel_order(&state.app, &session, id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let found = order::get(&state.app, &session.actor(), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found, lang)))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VoucherForm {
    /// 汇款户名: the account the money came from.
    remitter: String,
    /// 汇款日期, `YYYY-MM-DD`.
    remitted_on: String,
    /// A JPEG or PNG image of the voucher, at most 2 MiB (after the two fields).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads the voucher (汇款底单) of a bank-transfer order: a JPEG or PNG of at most 2 MiB,
/// checked by its content, re-encoded without metadata, stored encrypted.
#[utoipa::path(post, path = "/api/v1/orders/{id}/voucher", request_body(content = VoucherForm, content_type = "multipart/form-data"), security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 201, body = OrderView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not a bank-transfer order, or paid, cancelled or closed"),
    (status = 413, body = ErrorBody, description = "over 2 MiB"),
    (status = 422, body = ErrorBody, description = "not a JPEG or PNG, truncated or corrupt; a remitter or date missing or wrong"),
))]
pub async fn upload_voucher(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    let id = order_id(&id, lang)?;
    let limit = state.app.documents.max_upload_bytes;
    let sent = crate::upload::read(form, limit, &["remitter", "remitted_on"])
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let transfer = pay::TransferForm {
        remitter: sent.field("remitter"),
        remitted_on: sent.field("remitted_on"),
    };
    pay::upload_voucher(&state.app, &session, id, &transfer, sent.bytes)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let found = order::get(&state.app, &session.actor(), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok((StatusCode::CREATED, Json(view(found, lang))))
}

/// A voucher's image (its thumbnail with `?thumbnail=true`), never cached.
#[utoipa::path(get, path = "/api/v1/orders/{id}/vouchers/{voucher}", security(("customer" = [])), params(("id" = i64, Path), ("voucher" = i64, Path), super::applications::DocumentQuery), responses(
    (status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody),
))]
pub async fn get_voucher(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path((id, voucher)): Path<(String, String)>,
    crate::query::ApiQuery(query): crate::query::ApiQuery<super::applications::DocumentQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id = order_id(&id, lang)?;
    let voucher: i64 = voucher
        .parse()
        .map_err(|_| ApiError::new(order::not_found(id), lang))?;
    let jpeg = pay::voucher_image(&state.app, &session.actor(), id, voucher, query.thumbnail)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::upload::image_response(jpeg, "voucher"))
}

/// A file of an issued invoice of the customer's order (`format`: `pdf`, or the `ofd` or
/// `xml` when there is one), as a download.
#[utoipa::path(get, path = "/api/v1/orders/{id}/invoices/{invoice}/{format}", security(("customer" = [])), params(("id" = i64, Path), ("invoice" = i64, Path), ("format" = String, Path)), responses(
    (status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody),
))]
pub async fn get_invoice(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path((id, invoice, format)): Path<(String, String, String)>,
) -> Result<axum::response::Response, ApiError> {
    let id = order_id(&id, lang)?;
    let invoice: i64 = invoice
        .parse()
        .map_err(|_| ApiError::new(order::not_found(id), lang))?;
    let file =
        services::flows::invoice::download(&state.app, &session.actor(), id, invoice, &format)
            .await
            .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::upload::invoice_response(file))
}

#[derive(Serialize, ToSchema)]
pub struct OnlineCodeView {
    /// `alipay` or `wechat`.
    provider: String,
    /// The text of the QR code the buyer scans with the provider's app.
    qr_code: String,
    /// The same, as SVG drawn by the server.
    qr_svg: String,
    expires_at: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OnlineQuery {
    /// `alipay` or `wechat` (one configured); the first configured when absent.
    provider: Option<String>,
}

/// The QR code to pay an online order (the pending one while it has time left, else a
/// new one). The order is paid when the provider says so, signed; poll the order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/online-payment", security(("customer" = [])), params(("id" = i64, Path), OnlineQuery), responses(
    (status = 200, body = OnlineCodeView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not an online order, or not waiting for payment"),
    (status = 503, body = ErrorBody, description = "online payment not configured, or the provider did not answer"),
))]
pub async fn pay_online(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    crate::query::ApiQuery(query): crate::query::ApiQuery<OnlineQuery>,
) -> Result<Json<OnlineCodeView>, ApiError> {
    let id = order_id(&id, lang)?;
    let code = pay::online(&state.app, &session, id, query.provider.as_deref())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(OnlineCodeView {
        provider: code.provider.into(),
        qr_code: code.qr_code,
        qr_svg: code.qr_svg,
        expires_at: code.expires_at,
    }))
}
