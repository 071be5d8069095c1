//! The customer's profile and address book over the API (`/api/v1/me/...`). Only the
//! session's own customer is ever read or changed: an address id of someone else is
//! "not found", exactly like one that does not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::{AddressInput, Lang};
use serde::{Deserialize, Serialize};
use services::people::profiles::{self, Profile};
use services::{ErrorKind, ServiceError};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Customer, CustomerWithCsrf};
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/profile", get(get_profile).put(put_profile))
        .route("/me/addresses", get(list_addresses).post(add_address))
        .route(
            "/me/addresses/{id}",
            put(update_address).delete(delete_address),
        )
        .route("/me/addresses/{id}/default", post(make_default))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    name: Option<String>,
    email: Option<String>,
    /// 18-character resident identity number (GB 11643 check).
    id_number: Option<String>,
    /// e.g. 0591-87654321
    landline: Option<String>,
    /// Optional login name: 4 to 20 digits and lowercase letters.
    username: Option<String>,
}

impl From<Profile> for ProfileBody {
    fn from(p: Profile) -> Self {
        ProfileBody {
            name: p.name,
            email: p.email,
            id_number: p.id_number,
            landline: p.landline,
            username: p.username,
        }
    }
}

/// The profile (个人资料).
#[utoipa::path(get, path = "/api/v1/me/profile", security(("customer" = [])), responses((status = 200, body = ProfileBody)))]
pub async fn get_profile(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
) -> Result<Json<ProfileBody>, ApiError> {
    let profile = profiles::get(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(profile.into()))
}

/// Replaces the profile; absent fields are cleared.
#[utoipa::path(put, path = "/api/v1/me/profile", request_body = ProfileBody, security(("customer" = [])), responses(
    (status = 200, body = ProfileBody), (status = 401), (status = 403, description = "no or wrong X-CSRF-Token"),
    (status = 409, description = "username taken"), (status = 422, description = "a field is invalid; `field` names it"),
))]
pub async fn put_profile(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<Json<ProfileBody>, ApiError> {
    let input = Profile {
        name: body.name,
        email: body.email,
        id_number: body.id_number,
        landline: body.landline,
        username: body.username,
    };
    let profile = profiles::update(&state.app, &session, &input)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(profile.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    recipient: String,
    /// The recipient's mobile number.
    phone: String,
    province: String,
    city: String,
    district: String,
    detail: String,
    postal_code: Option<String>,
    /// Make it the default address (the first address always is).
    #[serde(default)]
    is_default: bool,
}

impl AddressBody {
    fn input(&self) -> AddressInput {
        AddressInput {
            recipient: self.recipient.clone(),
            phone: self.phone.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            district: self.district.clone(),
            detail: self.detail.clone(),
            postal_code: self.postal_code.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AddressView {
    id: i64,
    recipient: String,
    phone: String,
    province: String,
    city: String,
    district: String,
    detail: String,
    postal_code: Option<String>,
    is_default: bool,
}

/// The address book, the default first.
#[utoipa::path(get, path = "/api/v1/me/addresses", security(("customer" = [])), responses((status = 200, body = [AddressView])))]
pub async fn list_addresses(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
) -> Result<Json<Vec<AddressView>>, ApiError> {
    let list = profiles::addresses(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        list.into_iter()
            .map(|entry| {
                let a = entry.address.to_input();
                AddressView {
                    id: entry.id,
                    recipient: a.recipient,
                    phone: a.phone,
                    province: a.province,
                    city: a.city,
                    district: a.district,
                    detail: a.detail,
                    postal_code: a.postal_code,
                    is_default: entry.is_default,
                }
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

/// Adds an address.
#[utoipa::path(post, path = "/api/v1/me/addresses", request_body = AddressBody, security(("customer" = [])), responses(
    (status = 201, body = Created), (status = 401), (status = 403), (status = 409, description = "20 addresses already"), (status = 422),
))]
pub async fn add_address(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    ApiJson(body): ApiJson<AddressBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = profiles::add_address(&state.app, &session, &body.input(), body.is_default)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

fn address_id(text: &str, lang: Lang) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(
            ServiceError::new(
                ErrorKind::NotFound,
                "unknown_address",
                format!("no address {text}"),
                "地址不存在",
            )
            .with_field("id"),
            lang,
        )
    })
}

/// Changes an address.
#[utoipa::path(put, path = "/api/v1/me/addresses/{id}", request_body = AddressBody, security(("customer" = [])), params(("id" = i64, Path, description = "The address id (another customer's is not found)")), responses((status = 204), (status = 404, body = ErrorBody, description = "no such address")))]
pub async fn update_address(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddressBody>,
) -> Result<StatusCode, ApiError> {
    let id = address_id(&id, lang)?;
    profiles::update_address(&state.app, &session, id, &body.input(), body.is_default)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an address (the oldest other one becomes the default if needed).
#[utoipa::path(delete, path = "/api/v1/me/addresses/{id}", security(("customer" = [])), params(("id" = i64, Path, description = "The address id (another customer's is not found)")), responses((status = 204), (status = 404, body = ErrorBody, description = "no such address")))]
pub async fn delete_address(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = address_id(&id, lang)?;
    profiles::delete_address(&state.app, &session, id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes an address the default.
#[utoipa::path(post, path = "/api/v1/me/addresses/{id}/default", security(("customer" = [])), params(("id" = i64, Path, description = "The address id (another customer's is not found)")), responses((status = 204), (status = 404, body = ErrorBody, description = "no such address")))]
pub async fn make_default(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = address_id(&id, lang)?;
    profiles::set_default_address(&state.app, &session, id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
