//! Review in the console over the API: the queue, an application with its timeline, and
//! the reviewer's actions. Roles and the separation of duties are checked by the use cases.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use services::flows::{application, review};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::applications::{ApplicationView, application_id, view};
use crate::auth::Operator;
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

#[derive(Serialize, ToSchema)]
pub struct QueueItemView {
    application: ApplicationView,
    /// When the channel's review promise runs out (Unix seconds).
    due: i64,
    overdue: bool,
}

/// The review queue, overdue first (reviewers and administrators).
#[utoipa::path(get, path = "/api/v1/console/reviews", security(("console" = [])), responses((status = 200, body = [QueueItemView])))]
pub async fn queue(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
) -> Result<Json<Vec<QueueItemView>>, ApiError> {
    let items = review::queue(&state.app, &session.actor())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        items
            .iter()
            .map(|item| QueueItemView {
                application: view(&item.application, lang, None),
                due: item.due.seconds(),
                overdue: item.overdue,
            })
            .collect(),
    ))
}

/// An application with its timeline (reviewers, counter clerks, administrators; audited).
#[utoipa::path(get, path = "/api/v1/console/applications/{id}", security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = ApplicationView), (status = 404, body = ErrorBody),
))]
pub async fn one(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = application_id(&id, lang)?;
    let actor = session.actor();
    let found = application::get_for_operator(&state.app, &actor, id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let timeline = application::timeline(&state.app, &actor, id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(&found, lang, Some(&timeline))))
}

macro_rules! review_action {
    ($name:ident, $path:literal, $call:path, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, security(("console" = [])), params(("id" = i64, Path)), responses(
            (status = 204), (status = 404, body = ErrorBody),
            (status = 409, body = ErrorBody, description = "not in a state that allows it"),
        ))]
        pub async fn $name(
            State(state): State<AppState>,
            AcceptLang(lang): AcceptLang,
            Operator(session): Operator,
            Path(id): Path<String>,
        ) -> Result<StatusCode, ApiError> {
            let id = application_id(&id, lang)?;
            $call(&state.app, &session.actor(), id)
                .await
                .map_err(|e| ApiError::new(e, lang))?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

review_action!(
    take,
    "/api/v1/console/applications/{id}/take",
    review::take,
    "Takes a submitted application for review (申请受理中)."
);
review_action!(
    release,
    "/api/v1/console/applications/{id}/release",
    review::release,
    "Puts an application under review back in the queue."
);
review_action!(
    approve,
    "/api/v1/console/applications/{id}/approve",
    review::approve,
    "Approves the application under review; the customer is told by SMS and e-mail."
);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// `data_mismatch`, `document_unclear`, `letter_not_stamped`, `letter_outdated`,
    /// `verification_failed` or `other`.
    reason: String,
    /// The reviewer's words (required with `other`), at most 200 characters.
    #[serde(default)]
    note: String,
}

/// Rejects the application under review with a reason; the customer is told by SMS and
/// e-mail and can edit and resubmit it.
#[utoipa::path(post, path = "/api/v1/console/applications/{id}/reject", request_body = RejectBody, security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "no reason, or `other` without a note"),
))]
pub async fn reject(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectBody>,
) -> Result<StatusCode, ApiError> {
    let id = application_id(&id, lang)?;
    let rejection = review::Rejection {
        reason: body.reason,
        note: body.note,
    };
    review::reject(&state.app, &session.actor(), id, &rejection)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// An uploaded document's image (reviewers, counter clerks, administrators; audited).
#[utoipa::path(get, path = "/api/v1/console/applications/{id}/documents/{slot}", security(("console" = [])), params(("id" = i64, Path), ("slot" = String, Path), crate::api::applications::DocumentQuery), responses(
    (status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody),
))]
pub async fn document(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path((id, slot)): Path<(String, String)>,
    crate::query::ApiQuery(query): crate::query::ApiQuery<crate::api::applications::DocumentQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id = application_id(&id, lang)?;
    let jpeg = application::document(&state.app, &session.actor(), id, &slot, query.thumbnail())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::upload::image_response(jpeg, &slot))
}
