//! 介质管理 in the console: stock per model (a low stock flagged), keys found by serial,
//! goods-in typed or read from the vendor's delivery list, and each key's page with its
//! history and the events a clerk applies by hand. The use cases check the role.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::usb_key::{UsbKeyEvent, UsbKeyStatus};
use domain::{AuditEntry, Role};
use services::flows::usb_key::{self, GoodsIn, ModelStock, Received, UsbKeyRecord};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, local_time, render, see_other,
    status_and_error,
};

const KEEPERS: [Role; 2] = [Role::Producer, Role::Admin];

/// The largest delivery list taken.
pub const MAX_LIST_BYTES: usize = 1024 * 1024;

/// The badge class of a key's status.
fn key_class(status: UsbKeyStatus) -> &'static str {
    match status {
        UsbKeyStatus::InStock | UsbKeyStatus::Active | UsbKeyStatus::Produced => "good",
        UsbKeyStatus::Assigned | UsbKeyStatus::Shipped => "wait",
        UsbKeyStatus::Lost | UsbKeyStatus::Damaged | UsbKeyStatus::Retired => "bad",
    }
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "console/keys.html")]
struct InventoryPage {
    chrome: Chrome,
    stock: Vec<ModelStock>,
    low_stock: u32,
    query: String,
    keys: Vec<UsbKeyRecord>,
    received: Option<Received>,
    error: Option<FormError>,
    /// What was typed in a refused goods-in (kept, not lost).
    typed: GoodsIn,
}
framed!(InventoryPage);

impl InventoryPage {
    fn badge(&self, status: &UsbKeyStatus) -> &'static str {
        key_class(*status)
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    query: String,
    received: Option<Received>,
    error: Option<(FormError, StatusCode)>,
    typed: GoodsIn,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &KEEPERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let actor = operator.actor();
    let (stock, keys) = match (
        usb_key::stock(&state.app, &actor).await,
        usb_key::search(&state.app, &actor, &query).await,
    ) {
        (Ok(stock), Ok(keys)) => (stock, keys),
        (Err(e), _) | (_, Err(e)) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &InventoryPage {
            chrome,
            stock,
            low_stock: state.app.hall.inventory.low_stock,
            query,
            keys,
            received,
            error,
            typed,
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    Query(search): Query<SearchQuery>,
) -> Response {
    show(&state, &request, search.q, None, None, GoodsIn::default()).await
}

#[derive(serde::Deserialize, Default)]
pub struct GoodsInForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    typed: GoodsIn,
}

/// Goods-in typed on the page.
pub async fn receive(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<GoodsInForm>,
) -> Response {
    let (operator, _) = match require_operator_posting(&state, &request, &KEEPERS, &form.csrf).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    match usb_key::receive_typed(&state.app, &operator.actor(), &form.typed).await {
        Ok(received) => {
            show(
                &state,
                &request,
                String::new(),
                Some(received),
                None,
                GoodsIn::default(),
            )
            .await
        }
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            show(
                &state,
                &request,
                String::new(),
                None,
                Some(error),
                form.typed,
            )
            .await
        }
    }
}

/// Goods-in from the vendor's delivery list (CSV).
pub async fn receive_list(
    State(state): State<AppState>,
    request: PageRequest,
    form: Multipart,
) -> Response {
    // Nobody's file is read before the sender is known as a keeper of the inventory.
    if let Err(response) = require_operator(&state, &request, &KEEPERS).await {
        return response;
    }
    let refused = |e: &services::ServiceError| Some(FormError::failed(e, request.lang));
    let sent = match crate::upload::read(form, MAX_LIST_BYTES, &[]).await {
        Ok(sent) => sent,
        Err(e) => {
            return show(
                &state,
                &request,
                String::new(),
                None,
                refused(&e),
                GoodsIn::default(),
            )
            .await;
        }
    };
    let (operator, _) = match require_operator_posting(&state, &request, &KEEPERS, &sent.csrf).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let done = usb_key::receive_list(&state.app, &operator.actor(), &sent.bytes).await;
    let (received, error) = match done {
        Ok(received) => (Some(received), None),
        Err(e) => (None, refused(&e)),
    };
    show(
        &state,
        &request,
        String::new(),
        received,
        error,
        GoodsIn::default(),
    )
    .await
}

#[derive(Template)]
#[template(path = "console/key.html")]
struct KeyPage {
    chrome: Chrome,
    key: UsbKeyRecord,
    history: Vec<AuditEntry>,
    /// The events a clerk may apply now.
    events: Vec<UsbKeyEvent>,
    error: Option<FormError>,
}
framed!(KeyPage);

impl KeyPage {
    fn badge(&self) -> &'static str {
        key_class(self.key.status)
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    /// What an event of the history says beyond its name: the reason, the application,
    /// the certificate.
    fn note(&self, details: &str) -> String {
        let details: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
        ["reason", "application", "certificate", "batch"]
            .iter()
            .filter_map(|k| details[*k].as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
    fn action_name(&self, action: &str) -> String {
        domain::AuditAction::ALL
            .iter()
            .find(|a| a.as_str() == action)
            .map_or_else(
                || action.to_string(),
                |a| self.chrome.pick(a.name_zh(), a.name_en()).to_string(),
            )
    }
}

async fn show_key(
    state: &AppState,
    request: &PageRequest,
    id: &str,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &KEEPERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let actor = operator.actor();
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &usb_key::not_found(0));
    };
    let (key, history) = match (
        usb_key::get(&state.app, &actor, id).await,
        usb_key::history(&state.app, &actor, id).await,
    ) {
        (Ok(key), Ok(history)) => (key, history),
        (Err(e), _) | (_, Err(e)) => return error_page(chrome, &e),
    };
    let events = UsbKeyEvent::ALL
        .into_iter()
        .filter(|e| e.by_hand() && key.status.apply(*e).is_ok())
        .collect();
    let (status, error) = status_and_error(error);
    render(
        status,
        &KeyPage {
            chrome,
            key,
            history,
            events,
            error,
        },
    )
}

pub async fn key(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Response {
    show_key(&state, &request, &id, None).await
}

#[derive(serde::Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// A clerk's event on a key (damaged, lost, retired, wiped and back to stock).
pub async fn act(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, event)): Path<(String, String)>,
    Form(form): Form<EventForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &KEEPERS, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let (Ok(number), Some(event)) = (id.parse::<i64>(), UsbKeyEvent::parse(&event)) else {
        return error_page(chrome, &usb_key::not_found(0));
    };
    match usb_key::apply_by_hand(&state.app, &operator.actor(), number, event, &form.reason).await {
        Ok(_) => see_other(&format!("/console/keys/{number}"), None),
        Err(e) => {
            show_key(
                &state,
                &request,
                &id,
                Some(FormError::failed(&e, request.lang)),
            )
            .await
        }
    }
}
