//! Shipping over the API: the shipper's queue and shipping an application's keys. The
//! customer's side (the shipment, 签收) is in `api::applications`. Roles and the separation
//! of duties are checked by the use cases.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use services::flows::ship::{self, ShipForm};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::applications::{ApplicationView, application_id, view};
use crate::auth::Operator;
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

#[derive(Serialize, ToSchema)]
pub struct ShippingItemView {
    application: ApplicationView,
    /// When its last key was made (Unix seconds).
    since: i64,
    /// When the channel's shipping promise runs out (Unix seconds).
    due: i64,
    overdue: bool,
    /// Paper invoices of its order issued and not mailed (`invoice_in_parcel` sends them).
    paper_invoices_ready: usize,
    /// Paper invoices asked for and not issued yet.
    paper_invoices_waiting: usize,
}

/// The shipping queue, overdue first (shippers and administrators).
#[utoipa::path(get, path = "/api/v1/console/shipping", security(("console" = [])), responses((status = 200, body = [ShippingItemView])))]
pub async fn queue(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
) -> Result<Json<Vec<ShippingItemView>>, ApiError> {
    let items = ship::queue_with_invoices(&state.app, &session.actor())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        items
            .iter()
            .map(|item| ShippingItemView {
                application: view(&item.application, lang, None),
                since: item.since.seconds(),
                due: item.due.seconds(),
                overdue: item.overdue,
                paper_invoices_ready: item.paper_invoices.unwrap_or_default().ready,
                paper_invoices_waiting: item.paper_invoices.unwrap_or_default().waiting,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipBody {
    /// One of the channel's couriers (`sf`, `sto`, `ems`…).
    courier: String,
    /// The tracking number, checked by the courier's format.
    tracking_no: String,
    /// The order's issued paper invoices go in the same parcel (mailed with this number).
    #[serde(default)]
    invoice_in_parcel: bool,
}

/// Ships the application's keys; the customer gets an SMS with the tracking number.
#[utoipa::path(post, path = "/api/v1/console/applications/{id}/ship", request_body = ShipBody, security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not all keys made, shipped already, or no issued paper invoice for the parcel"),
    (status = 422, body = ErrorBody, description = "an unknown courier or a bad tracking number"),
))]
pub async fn ship_keys(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShipBody>,
) -> Result<StatusCode, ApiError> {
    let id = application_id(&id, lang)?;
    ship::ship(
        &state.app,
        &session.actor(),
        id,
        &ShipForm {
            courier: body.courier,
            tracking_no: body.tracking_no,
            invoice_in_parcel: body.invoice_in_parcel,
        },
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaybillBody {
    /// One of the channel's couriers (`sf`, `sto`, `ems`…).
    courier: String,
    /// The order's issued paper invoices go in the same parcel.
    #[serde(default)]
    invoice_in_parcel: bool,
}

#[derive(Serialize, ToSchema)]
pub struct WaybillView {
    /// The number the courier platform gave; the keys are shipped with it.
    tracking_no: String,
}

/// 电子面单: the courier platform makes the waybill and the keys are shipped with its
/// number (where a platform is configured).
#[utoipa::path(post, path = "/api/v1/console/applications/{id}/waybill", request_body = WaybillBody, security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 201, body = WaybillView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "no courier platform, not all keys made, or shipped already"),
    (status = 422, body = ErrorBody, description = "an unknown courier, or the platform refused the waybill (its reason)"),
    (status = 503, body = ErrorBody, description = "the courier platform does not answer"),
))]
pub async fn make_waybill(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WaybillBody>,
) -> Result<(StatusCode, Json<WaybillView>), ApiError> {
    let id = application_id(&id, lang)?;
    let tracking_no = ship::ship_by_waybill(
        &state.app,
        &session.actor(),
        id,
        &body.courier,
        body.invoice_in_parcel,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok((StatusCode::CREATED, Json(WaybillView { tracking_no })))
}
