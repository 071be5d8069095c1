//! The customer's account pages: registration, login, logout, password reset, and 个人中心
//! (profile, password, address book). Each is a plain HTML form (works without
//! JavaScript) calling the same services as `/api/v1`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use services::ServiceError;
use services::accounts::CurrentSession;
use services::notifications::templates::CodePurpose;
use services::profiles::{AddressInput, Profile};
use store::profiles::AddressRecord;

use super::{
    Area, Chrome, Form, FormError, NavItem, PageRequest, framed, render, safe_next, see_other,
};
use crate::AppState;
use crate::account_api::{SESSION_COOKIE, session_cookie};
use crate::client_ip::ClientIp;
use crate::error::Lang;
use crate::session_cookie as cookies;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(register_form).post(register))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/password-reset", get(reset_form).post(reset))
        .route("/me", get(me).post(save_profile))
        .route("/me/password", get(password_form).post(change_password))
        .route("/me/addresses", get(addresses).post(add_address))
        .route(
            "/me/addresses/{id}",
            get(edit_address_form).post(update_address),
        )
        .route("/me/addresses/{id}/default", post(make_default))
        .route("/me/addresses/{id}/delete", post(delete_address))
}

/// The logged-in customer, if the session cookie is valid.
pub async fn optional_customer(state: &AppState, request: &PageRequest) -> Option<CurrentSession> {
    let token = cookies::read(&request.headers, SESSION_COOKIE)?;
    state.accounts.session(&token).await.ok()
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

fn message_lang(lang: Lang) -> services::notifications::Lang {
    match lang {
        Lang::En => services::notifications::Lang::En,
        Lang::Zh => services::notifications::Lang::Zh,
    }
}

/// The frame of an anonymous page.
fn anonymous(state: &AppState, request: &PageRequest, customer: Option<&CurrentSession>) -> Chrome {
    request.chrome(
        state,
        Area::Hall,
        customer.map(|c| c.phone.masked()),
        customer.map(|c| c.live.csrf_token.as_str()),
    )
}

/// The frame of a public hall page: anonymous, or showing the customer who is logged in.
pub async fn hall_frame(state: &AppState, request: &PageRequest) -> Chrome {
    let customer = optional_customer(state, request).await;
    anonymous(state, request, customer.as_ref())
}

/// The frame of a 个人中心 page, with its navigation.
fn personal(
    state: &AppState,
    request: &PageRequest,
    customer: &CurrentSession,
    current: &str,
) -> Chrome {
    let mut chrome = anonymous(state, request, Some(customer));
    chrome.nav = [
        ("/me", "me.profile"),
        ("/me/addresses", "me.addresses"),
        ("/me/password", "me.password"),
    ]
    .into_iter()
    .map(|(href, label)| NavItem {
        href,
        label,
        current: href == current,
    })
    .collect();
    chrome
}

/// The customer, or a redirect to the login page that comes back here.
async fn require_customer(
    state: &AppState,
    request: &PageRequest,
) -> Result<CurrentSession, Response> {
    match optional_customer(state, request).await {
        Some(customer) => Ok(customer),
        None => {
            let next: String = percent_encoding::utf8_percent_encode(
                &request.here,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string();
            Err(see_other(&format!("/login?next={next}"), None))
        }
    }
}

// ---- registration ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    phone: String,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    phone: String,
    next: String,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    chrome: Chrome,
    phone: String,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    chrome: Chrome,
    phone: String,
    profile: Profile,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "addresses.html")]
struct AddressesPage {
    chrome: Chrome,
    addresses: Vec<AddressRecord>,
    /// The address being edited (None: the form adds a new one).
    editing: Option<i64>,
    form: AddressForm,
    error: Option<FormError>,
}

framed!(
    RegisterPage,
    LoginPage,
    ResetPage,
    MePage,
    PasswordPage,
    AddressesPage
);

async fn register_form(State(state): State<AppState>, request: PageRequest) -> Response {
    // Anonymous even for a logged-in customer: the form's token is the form cookie's, which
    // is what the post checks (one page carries one token).
    let chrome = anonymous(&state, &request, None);
    render(
        StatusCode::OK,
        &RegisterPage {
            chrome,
            phone: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct RegisterForm {
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

fn field_error(t: &super::Tr, field: &str, key: &str) -> FormError {
    FormError {
        field: Some(field.to_string()),
        message: t.t(key).to_string(),
        code: "invalid_field",
    }
}

/// A second password field that must repeat the first.
fn confirm(t: &super::Tr, password: &str, confirmation: &str) -> Result<(), FormError> {
    if password != confirmation {
        return Err(field_error(
            t,
            "password_confirm",
            "error.password_mismatch",
        ));
    }
    Ok(())
}

/// What the steps shared by the forms that send SMS codes decided.
enum CodeStep {
    /// Go on with the form's own action.
    Continue,
    /// Show the form again, with an error or with "code sent".
    Show(Option<(FormError, StatusCode)>),
}

/// The CSRF check and the "send code" button of registration and password reset.
async fn code_step(
    state: &AppState,
    request: &PageRequest,
    chrome: &mut Chrome,
    ip: &str,
    form: (&str, &str, &str),
    purpose: CodePurpose,
) -> CodeStep {
    let (csrf, action, phone) = form;
    if !request.csrf_ok(csrf, None) {
        return CodeStep::Show(Some((FormError::csrf(&chrome.t), StatusCode::FORBIDDEN)));
    }
    if action != "send_code" {
        return CodeStep::Continue;
    }
    match state
        .accounts
        .send_code(phone, purpose, ip, message_lang(request.lang))
        .await
    {
        Ok(_) => {
            chrome.notice = Some(chrome.t.t("notice.code_sent").to_string());
            CodeStep::Show(None)
        }
        Err(e) => CodeStep::Show(Some(FormError::failed(&e, request.lang))),
    }
}

async fn register(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<RegisterForm>,
) -> Response {
    let mut chrome = anonymous(&state, &request, None);
    let page = |chrome: Chrome, error: Option<(FormError, StatusCode)>| {
        let (status, error) = super::status_and_error(error);
        let phone = form.phone.trim().to_string();
        render(
            status,
            &RegisterPage {
                chrome,
                phone,
                error,
            },
        )
    };
    let fields = (
        form.csrf.as_str(),
        form.action.as_str(),
        form.phone.as_str(),
    );
    if let CodeStep::Show(error) = code_step(
        &state,
        &request,
        &mut chrome,
        &ip,
        fields,
        CodePurpose::Register,
    )
    .await
    {
        return page(chrome, error);
    }
    if let Err(e) = confirm(&chrome.t, &form.password, &form.password_confirm) {
        return page(chrome, Some((e, StatusCode::UNPROCESSABLE_ENTITY)));
    }
    if form.agree.is_none() {
        let e = field_error(&chrome.t, "agree", "error.agree");
        return page(chrome, Some((e, StatusCode::UNPROCESSABLE_ENTITY)));
    }
    match state
        .accounts
        .register(&form.phone, &form.code, &form.password, &ip)
        .await
    {
        Ok(session) => {
            let max_age = session.expires_at - pki::time::now_unix();
            see_other(
                "/me?notice=registered",
                Some(session_cookie(&state, &session.token, max_age)),
            )
        }
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            page(chrome, Some(error))
        }
    }
}

// ---- login and logout ------------------------------------------------------------

async fn login_form(
    State(state): State<AppState>,
    request: PageRequest,
    Query(query): Query<NextQuery>,
) -> Response {
    let chrome = anonymous(&state, &request, None);
    render(
        StatusCode::OK,
        &LoginPage {
            chrome,
            phone: String::new(),
            next: safe_next(query.next.as_deref(), "/me"),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let chrome = anonymous(&state, &request, None);
    let next = safe_next(form.next.as_deref(), "/me");
    let error = if !request.csrf_ok(&form.csrf, None) {
        (FormError::csrf(&chrome.t), StatusCode::FORBIDDEN)
    } else {
        match state.accounts.login(&form.phone, &form.password, &ip).await {
            Ok(session) => {
                let max_age = session.expires_at - pki::time::now_unix();
                return see_other(&next, Some(session_cookie(&state, &session.token, max_age)));
            }
            Err(e) => FormError::failed(&e, request.lang),
        }
    };
    render(
        error.1,
        &LoginPage {
            chrome,
            phone: form.phone.trim().to_string(),
            next,
            error: Some(error.0),
        },
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn end_session(
    state: AppState,
    request: PageRequest,
    form: CsrfForm,
    everywhere: bool,
) -> Response {
    let Some(customer) = optional_customer(&state, &request).await else {
        return see_other("/", Some(session_cookie(&state, "", 0)));
    };
    if !request.csrf_ok(&form.csrf, Some(&customer.live)) {
        let chrome = anonymous(&state, &request, Some(&customer));
        let e = services::ServiceError::new(
            services::ErrorKind::Forbidden,
            "csrf",
            chrome.t.t("error.csrf"),
            chrome.t.t("error.csrf"),
        );
        return super::error_page(chrome, &e);
    }
    if let Err(e) = state.accounts.logout(&customer, everywhere).await {
        let chrome = anonymous(&state, &request, Some(&customer));
        return super::error_page(chrome, &e);
    }
    let to = if everywhere {
        "/login?notice=logged_out_everywhere"
    } else {
        "/login?notice=logged_out"
    };
    see_other(to, Some(session_cookie(&state, "", 0)))
}

async fn logout(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<CsrfForm>,
) -> Response {
    end_session(state, request, form, false).await
}

async fn logout_everywhere(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<CsrfForm>,
) -> Response {
    end_session(state, request, form, true).await
}

// ---- password reset --------------------------------------------------------------

async fn reset_form(State(state): State<AppState>, request: PageRequest) -> Response {
    let chrome = anonymous(&state, &request, None);
    render(
        StatusCode::OK,
        &ResetPage {
            chrome,
            phone: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct ResetForm {
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

async fn reset(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<ResetForm>,
) -> Response {
    let mut chrome = anonymous(&state, &request, None);
    let page = |chrome: Chrome, error: Option<(FormError, StatusCode)>| {
        let (status, error) = super::status_and_error(error);
        let phone = form.phone.trim().to_string();
        render(
            status,
            &ResetPage {
                chrome,
                phone,
                error,
            },
        )
    };
    let fields = (
        form.csrf.as_str(),
        form.action.as_str(),
        form.phone.as_str(),
    );
    if let CodeStep::Show(error) = code_step(
        &state,
        &request,
        &mut chrome,
        &ip,
        fields,
        CodePurpose::ResetPassword,
    )
    .await
    {
        return page(chrome, error);
    }
    if let Err(e) = confirm(&chrome.t, &form.new_password, &form.password_confirm) {
        return page(chrome, Some((e, StatusCode::UNPROCESSABLE_ENTITY)));
    }
    match state
        .accounts
        .reset_password(&form.phone, &form.code, &form.new_password, &ip)
        .await
    {
        Ok(()) => see_other("/login?notice=password_reset", None),
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            page(chrome, Some(error))
        }
    }
}

// ---- 个人中心: profile -------------------------------------------------------------

async fn me(State(state): State<AppState>, request: PageRequest) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let chrome = personal(&state, &request, &customer, "/me");
    match state.profiles.get(&customer).await {
        Ok(profile) => render(
            StatusCode::OK,
            &MePage {
                chrome,
                phone: customer.phone.masked(),
                profile,
                error: None,
            },
        ),
        Err(e) => super::error_page(chrome, &e),
    }
}

#[derive(Deserialize)]
struct ProfileForm {
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

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

async fn save_profile(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<ProfileForm>,
) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let chrome = personal(&state, &request, &customer, "/me");
    let profile = Profile {
        name: optional(&form.name),
        email: optional(&form.email),
        id_number: optional(&form.id_number),
        landline: optional(&form.landline),
        username: optional(&form.username),
    };
    let error = if !request.csrf_ok(&form.csrf, Some(&customer.live)) {
        (FormError::csrf(&chrome.t), StatusCode::FORBIDDEN)
    } else {
        match state.profiles.update(&customer, &profile).await {
            Ok(_) => return see_other("/me?notice=profile_saved", None),
            Err(e) => FormError::failed(&e, request.lang),
        }
    };
    render(
        error.1,
        &MePage {
            chrome,
            phone: customer.phone.masked(),
            profile,
            error: Some(error.0),
        },
    )
}

// ---- 个人中心: password ------------------------------------------------------------

async fn password_form(State(state): State<AppState>, request: PageRequest) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let chrome = personal(&state, &request, &customer, "/me/password");
    render(
        StatusCode::OK,
        &PasswordPage {
            chrome,
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<PasswordForm>,
) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let chrome = personal(&state, &request, &customer, "/me/password");
    let error = if !request.csrf_ok(&form.csrf, Some(&customer.live)) {
        (FormError::csrf(&chrome.t), StatusCode::FORBIDDEN)
    } else if let Err(e) = confirm(&chrome.t, &form.new_password, &form.password_confirm) {
        (e, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        match state
            .accounts
            .change_password(&customer, &form.old_password, &form.new_password)
            .await
        {
            Ok(()) => return see_other("/me?notice=password_changed", None),
            Err(e) => FormError::failed(&e, request.lang),
        }
    };
    render(
        error.1,
        &PasswordPage {
            chrome,
            error: Some(error.0),
        },
    )
}

// ---- 个人中心: address book --------------------------------------------------------

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

    fn from_record(record: &AddressRecord) -> Self {
        AddressForm {
            csrf: String::new(),
            recipient: record.recipient.clone(),
            phone: record.phone.clone(),
            province: record.province.clone(),
            city: record.city.clone(),
            district: record.district.clone(),
            detail: record.detail.clone(),
            postal_code: record.postal_code.clone().unwrap_or_default(),
            make_default: (record.is_default != 0).then(|| "on".into()),
        }
    }
}

async fn address_page(
    state: &AppState,
    request: &PageRequest,
    customer: &CurrentSession,
    editing: Option<i64>,
    form: AddressForm,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let chrome = personal(state, request, customer, "/me/addresses");
    let addresses = match state.profiles.addresses(customer).await {
        Ok(list) => list,
        Err(e) => return super::error_page(chrome, &e),
    };
    let (status, error) = super::status_and_error(error);
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

async fn addresses(State(state): State<AppState>, request: PageRequest) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
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
            services::ErrorKind::NotFound,
            "unknown_address",
            "no such address",
            "地址不存在",
        )
    })
}

async fn edit_address_form(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let found = match parse_id(&id) {
        Ok(id) => state
            .profiles
            .addresses(&customer)
            .await
            .ok()
            .and_then(|list| list.into_iter().find(|a| a.id == id)),
        Err(_) => None,
    };
    let Some(address) = found else {
        let chrome = personal(&state, &request, &customer, "/me/addresses");
        return super::error_page(chrome, &parse_id("x").unwrap_err());
    };
    let form = AddressForm::from_record(&address);
    address_page(&state, &request, &customer, Some(address.id), form, None).await
}

/// Runs an address change after the CSRF check; success goes back to the list.
async fn address_change<F, Fut>(
    request: &PageRequest,
    customer: &CurrentSession,
    csrf: &str,
    change: F,
) -> Result<Response, (FormError, StatusCode)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), ServiceError>>,
{
    let t = super::Tr::new(request.lang);
    if !request.csrf_ok(csrf, Some(&customer.live)) {
        return Err((FormError::csrf(&t), StatusCode::FORBIDDEN));
    }
    change()
        .await
        .map(|()| see_other("/me/addresses?notice=address_saved", None))
        .map_err(|e| FormError::failed(&e, request.lang))
}

async fn add_address(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<AddressForm>,
) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let input = form.input();
    let result = address_change(&request, &customer, &form.csrf, || async {
        state
            .profiles
            .add_address(&customer, &input, form.make_default.is_some())
            .await
            .map(|_| ())
    })
    .await;
    match result {
        Ok(done) => done,
        Err(error) => address_page(&state, &request, &customer, None, form, Some(error)).await,
    }
}

async fn update_address(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(form): Form<AddressForm>,
) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let input = form.input();
    let id = parse_id(&id);
    let editing = id.as_ref().ok().copied();
    let result = address_change(&request, &customer, &form.csrf, || async {
        let id = id?;
        state.profiles.update_address(&customer, id, &input).await?;
        if form.make_default.is_some() {
            state.profiles.set_default_address(&customer, id).await?;
        }
        Ok(())
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
    id: String,
    csrf: String,
    delete: bool,
) -> Response {
    let customer = match require_customer(&state, &request).await {
        Ok(c) => c,
        Err(redirect) => return redirect,
    };
    let result = address_change(&request, &customer, &csrf, || async {
        let id = parse_id(&id)?;
        if delete {
            state.profiles.delete_address(&customer, id).await
        } else {
            state.profiles.set_default_address(&customer, id).await
        }
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

async fn make_default(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    address_action(state, request, id, form.csrf, false).await
}

async fn delete_address(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    address_action(state, request, id, form.csrf, true).await
}
