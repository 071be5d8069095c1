//! Registration (注册): phone, SMS code, password twice, consent to the agreement.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use services::people::accounts::{self, Registration};
use services::people::sms_codes::CodePurpose;

use super::code_form::{self, CodeFields, code_form_page};
use crate::AppState;
use crate::auth::session_cookie;
use crate::client_ip::ClientIp;
use crate::pages::{Form, PageRequest, see_other};

code_form_page!(RegisterPage, "account/register.html");

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    agree: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<RegisterForm>,
) -> Response {
    let fields = CodeFields {
        csrf: &form.csrf,
        action: &form.action,
        phone: &form.phone,
        password: &form.password,
        password_confirm: &form.password_confirm,
    };
    let registration = Registration {
        phone: &form.phone,
        code: &form.code,
        password: &form.password,
        accepts_terms: form.agree.is_some(),
    };
    code_form::run::<RegisterPage, _, _>(
        &state,
        &request,
        &ip,
        fields,
        CodePurpose::Register,
        || async {
            let session = accounts::register(&state.app, registration, &ip).await?;
            let cookie = session_cookie(&state, &session.token, session.max_age_seconds);
            Ok(see_other("/me?notice=registered", Some(cookie)))
        },
    )
    .await
}
