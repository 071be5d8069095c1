//! Registration (注册): phone, SMS code, password twice, consent to the agreement.

use axum::extract::State;
use axum::response::Response;
use services::people::accounts::{self, Registration};
use services::people::sms_codes::CodePurpose;

use super::code_form::{self, CodeForm, code_form_page};
use crate::AppState;
use crate::auth::session_cookie;
use crate::client_ip::ClientIp;
use crate::pages::{Form, PageRequest, see_other};

code_form_page!(RegisterPage, "account/register.html");

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<CodeForm>,
) -> Response {
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
        &form,
        CodePurpose::Register,
        || async {
            let session = accounts::register(
                &state.app,
                registration,
                &ip,
                crate::auth::session_token(&request.headers).as_deref(),
            )
            .await?;
            let cookie = session_cookie(&state, &session.token, session.max_age_seconds);
            Ok(see_other("/me?notice=registered", Some(cookie)))
        },
    )
    .await
}
