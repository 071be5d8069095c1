//! Password reset (忘记密码): phone, SMS code, the new password twice.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use services::people::accounts;
use services::people::sms_codes::CodePurpose;

use super::code_form::{self, CodeFields, code_form_page};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::pages::{Form, PageRequest, see_other};

code_form_page!(ResetPage, "account/reset.html");

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<ResetForm>,
) -> Response {
    let fields = CodeFields {
        csrf: &form.csrf,
        action: &form.action,
        phone: &form.phone,
        password: &form.new_password,
        password_confirm: &form.password_confirm,
    };
    code_form::run::<ResetPage, _, _>(
        &state,
        &request,
        &ip,
        fields,
        CodePurpose::ResetPassword,
        || async {
            accounts::reset_password(&state.app, &form.phone, &form.code, &form.new_password, &ip)
                .await?;
            Ok(see_other("/login?notice=password_reset", None))
        },
    )
    .await
}
