//! 个人中心: the profile (个人资料), which prefills later forms.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use services::people::profiles::{self, Profile};

use super::{SignedIn, personal};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, render, run_form, see_other,
};

#[derive(Template)]
#[template(path = "account/me.html")]
struct MePage {
    chrome: Chrome,
    phone: String,
    profile: Profile,
    error: Option<FormError>,
}
framed!(MePage);

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
) -> Response {
    let chrome = personal(&state, &request, &customer, "/me");
    match profiles::get(&state.app, &customer).await {
        Ok(profile) => render(
            StatusCode::OK,
            &MePage {
                chrome,
                phone: customer.phone.masked(),
                profile,
                error: None,
            },
        ),
        Err(e) => error_page(chrome, &e),
    }
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    landline: String,
    #[serde(default)]
    username: String,
}

pub(super) fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

pub async fn save(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Form(form): Form<ProfileForm>,
) -> Response {
    let profile = Profile {
        name: optional(&form.name),
        email: optional(&form.email),
        id_number: optional(&form.id_number),
        landline: optional(&form.landline),
        username: optional(&form.username),
    };
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        profiles::update(&state.app, &customer, &profile).await?;
        Ok(see_other("/me?notice=profile_saved", None))
    })
    .await;
    match result {
        Ok(done) => done,
        Err((error, status)) => render(
            status,
            &MePage {
                chrome: personal(&state, &request, &customer, "/me"),
                phone: customer.phone.masked(),
                profile,
                error: Some(error),
            },
        ),
    }
}
