//! 发货 in the console: the applications whose keys are all made and travel by courier,
//! overdue against the channel's shipping promise first, each with a form to ship it (one
//! of the channel's couriers and a tracking number checked by its format). The use case
//! checks the role and the separation of duties.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use services::flows::ship::{self, QueueItem, ShipForm};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, local_time, render, see_other,
    status_and_error,
};

const SHIPPERS: [Role; 2] = [Role::Shipper, Role::Admin];

#[derive(Template)]
#[template(path = "console/shipping.html")]
struct ShippingPage {
    chrome: Chrome,
    items: Vec<QueueItem>,
    /// The application whose form was refused, with what was typed.
    refused: Option<(i64, ShipForm)>,
    error: Option<FormError>,
    /// Waybills can be made through the courier platform.
    waybills: bool,
}
framed!(ShippingPage);

impl ShippingPage {
    fn due(&self, item: &QueueItem) -> String {
        local_time(item.due.seconds())
    }
    /// What was typed in application `id`'s refused form.
    fn typed(&self, id: &i64) -> String {
        match &self.refused {
            Some((refused, form)) if refused == id => form.tracking_no.clone(),
            _ => String::new(),
        }
    }
    fn refused_here(&self, id: &i64) -> bool {
        matches!(&self.refused, Some((refused, _)) if refused == id)
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    refused: Option<(i64, ShipForm)>,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &SHIPPERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let items = match ship::queue_with_invoices(&state.app, &operator.actor()).await {
        Ok(items) => items,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &ShippingPage {
            chrome,
            items,
            refused,
            error,
            waybills: ship::makes_waybills(&state.app),
        },
    )
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    show(&state, &request, None, None).await
}

#[derive(serde::Deserialize, Default)]
pub struct ShipPosted {
    #[serde(default)]
    csrf: String,
    /// The checkbox 纸质发票同包裹寄出 (`on` when ticked).
    #[serde(default)]
    invoice_in_parcel: Option<String>,
    #[serde(flatten)]
    form: ShipForm,
}

/// 寄出 with the number typed.
pub async fn ship_keys(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(posted): Form<ShipPosted>,
) -> Response {
    ship_by(&state, &request, &id, posted, false).await
}

/// 电子面单: the courier platform makes the waybill, and the keys are shipped with it.
pub async fn make_waybill(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(posted): Form<ShipPosted>,
) -> Response {
    ship_by(&state, &request, &id, posted, true).await
}

/// Ships application `id` as posted, by a waybill or the number typed; back to the queue,
/// or the queue with the refusal beside the application's form.
async fn ship_by(
    state: &AppState,
    request: &PageRequest,
    id: &str,
    mut posted: ShipPosted,
    by_waybill: bool,
) -> Response {
    posted.form.invoice_in_parcel = posted.invoice_in_parcel.is_some();
    let (operator, chrome) =
        match require_operator_posting(state, request, &SHIPPERS, &posted.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &services::flows::application::not_found(0));
    };
    let actor = operator.actor();
    let shipped = if by_waybill {
        let form = &posted.form;
        ship::ship_by_waybill(
            &state.app,
            &actor,
            id,
            &form.courier,
            form.invoice_in_parcel,
        )
        .await
        .map(|_| ())
    } else {
        ship::ship(&state.app, &actor, id, &posted.form).await
    };
    match shipped {
        Ok(()) => see_other("/console/shipping", None),
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            show(state, request, Some((id, posted.form)), Some(error)).await
        }
    }
}
