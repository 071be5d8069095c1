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
    let items = match ship::queue(&state.app, &operator.actor()).await {
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
    #[serde(flatten)]
    form: ShipForm,
}

pub async fn ship_keys(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(posted): Form<ShipPosted>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &SHIPPERS, &posted.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &services::flows::application::not_found(0));
    };
    match ship::ship(&state.app, &operator.actor(), id, &posted.form).await {
        Ok(()) => see_other("/console/shipping", None),
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            show(&state, &request, Some((id, posted.form)), Some(error)).await
        }
    }
}

/// 电子面单: the courier platform makes the waybill, and the keys are shipped with it.
pub async fn make_waybill(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(posted): Form<ShipPosted>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &SHIPPERS, &posted.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &services::flows::application::not_found(0));
    };
    match ship::ship_by_waybill(&state.app, &operator.actor(), id, &posted.form.courier).await {
        Ok(_) => see_other("/console/shipping", None),
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            show(&state, &request, Some((id, posted.form)), Some(error)).await
        }
    }
}
