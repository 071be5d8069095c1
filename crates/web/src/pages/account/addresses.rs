//! 个人中心: the address book (地址维护): several addresses, one default. Another
//! customer's address id is "not found", like one that does not exist.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::{AddressBookEntry, AddressInput};
use serde::Deserialize;
use services::people::accounts::CustomerSession;
use services::people::profiles;
use services::{ErrorKind, ServiceError};

use super::profile::optional;
use super::{SignedIn, personal};
use crate::AppState;
use crate::pages::{
    Chrome, CsrfForm, Form, FormError, PageRequest, error_page, framed, render, run_form,
    see_other, status_and_error,
};

#[derive(Template)]
#[template(path = "account/addresses.html")]
struct AddressesPage {
    chrome: Chrome,
    addresses: Vec<AddressBookEntry>,
    /// The address being edited (None: the form adds a new one).
    editing: Option<i64>,
    form: AddressForm,
    error: Option<FormError>,
}

framed!(AddressesPage);

/// The address form's values.
#[derive(Deserialize, Default)]
pub struct AddressForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub recipient: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub make_default: Option<String>,
}

impl AddressForm {
    fn input(&self) -> AddressInput {
        AddressInput {
            recipient: self.recipient.clone(),
            phone: self.phone.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            district: self.district.clone(),
            detail: self.detail.clone(),
            postal_code: optional(&self.postal_code),
        }
    }

    fn from_entry(entry: &AddressBookEntry) -> Self {
        let a = entry.address.to_input();
        AddressForm {
            csrf: String::new(),
            recipient: a.recipient,
            phone: a.phone,
            province: a.province,
            city: a.city,
            district: a.district,
            detail: a.detail,
            postal_code: a.postal_code.unwrap_or_default(),
            make_default: entry.is_default.then(|| "on".into()),
        }
    }
}

async fn address_page(
    state: &AppState,
    request: &PageRequest,
    customer: &CustomerSession,
    editing: Option<i64>,
    form: AddressForm,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let chrome = personal(state, request, customer, "/me/addresses");
    let addresses = match profiles::addresses(&state.app, customer).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &AddressesPage {
            chrome,
            addresses,
            editing,
            form,
            error,
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
) -> Response {
    address_page(
        &state,
        &request,
        &customer,
        None,
        AddressForm::default(),
        None,
    )
    .await
}

fn parse_id(text: &str) -> Result<i64, ServiceError> {
    text.parse().map_err(|_| {
        ServiceError::new(
            ErrorKind::NotFound,
            "unknown_address",
            "no such address",
            "地址不存在",
        )
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let found = match parse_id(&id) {
        Ok(id) => profiles::addresses(&state.app, &customer)
            .await
            .ok()
            .and_then(|list| list.into_iter().find(|a| a.id == id)),
        Err(_) => None,
    };
    let Some(address) = found else {
        let chrome = personal(&state, &request, &customer, "/me/addresses");
        return error_page(chrome, &parse_id("x").unwrap_err());
    };
    let form = AddressForm::from_entry(&address);
    address_page(&state, &request, &customer, Some(address.id), form, None).await
}

fn back_to_the_list() -> Response {
    see_other("/me/addresses?notice=address_saved", None)
}

pub async fn add(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Form(form): Form<AddressForm>,
) -> Response {
    let input = form.input();
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        profiles::add_address(&state.app, &customer, &input, form.make_default.is_some()).await?;
        Ok(back_to_the_list())
    })
    .await;
    match result {
        Ok(done) => done,
        Err(error) => address_page(&state, &request, &customer, None, form, Some(error)).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<AddressForm>,
) -> Response {
    let input = form.input();
    let id = parse_id(&id);
    let editing = id.as_ref().ok().copied();
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        let id = id?;
        let make_default = form.make_default.is_some();
        profiles::update_address(&state.app, &customer, id, &input, make_default).await?;
        Ok(back_to_the_list())
    })
    .await;
    match result {
        Ok(done) => done,
        Err(error) => address_page(&state, &request, &customer, editing, form, Some(error)).await,
    }
}

async fn address_action(
    state: AppState,
    request: PageRequest,
    customer: CustomerSession,
    id: String,
    csrf: String,
    delete: bool,
) -> Response {
    let result = run_form(&request, &csrf, Some(&customer.live), || async {
        let id = parse_id(&id)?;
        if delete {
            profiles::delete_address(&state.app, &customer, id).await?;
        } else {
            profiles::set_default_address(&state.app, &customer, id).await?;
        }
        Ok(back_to_the_list())
    })
    .await;
    match result {
        Ok(done) => done,
        Err(error) => {
            address_page(
                &state,
                &request,
                &customer,
                None,
                AddressForm::default(),
                Some(error),
            )
            .await
        }
    }
}

pub async fn make_default(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    address_action(state, request, customer, id, form.csrf, false).await
}

pub async fn delete(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    address_action(state, request, customer, id, form.csrf, true).await
}
