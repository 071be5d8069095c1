//! Password reset (忘记密码): phone, SMS code, the new password twice.

use axum::extract::State;
use axum::response::Response;
use services::people::accounts;
use services::people::sms_codes::CodePurpose;

use super::code_form::{self, CodeForm, code_form_page};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::pages::{Form, PageRequest, see_other};

code_form_page!(ResetPage, "account/reset.html");

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<CodeForm>,
) -> Response {
    code_form::run::<ResetPage, _, _>(
        &state,
        &request,
        &ip,
        &form,
        CodePurpose::ResetPassword,
        || async {
            accounts::reset_password(&state.app, &form.phone, &form.code, &form.password, &ip)
                .await?;
            Ok(see_other("/login?notice=password_reset", None))
        },
    )
    .await
}
