//! The frame around every page ([`Chrome`]): the language, the site's name, hotline and
//! hours, who is logged in, the navigation, a notice, and the CSRF token its forms carry.

use domain::Lang;
use services::people::accounts::CustomerSession;

use super::{PageRequest, Tr};
use crate::AppState;

/// Which part of the site a page belongs to (decides the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Hall,
    Console,
}

/// One item of the navigation bar.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page shows around its content.
pub struct Chrome {
    pub t: Tr,
    pub area: Area,
    pub ca_name: String,
    pub hotline: String,
    pub service_hours: String,
    pub email: String,
    /// Who is logged in, as shown in the header (masked phone, or operator name).
    pub user: Option<String>,
    /// The token every form of the page carries.
    pub csrf: String,
    /// The path and query of this page (the language switch comes back to it).
    pub here: String,
    pub nav: Vec<NavItem>,
    /// A one-off notice (e.g. "saved").
    pub notice: Option<String>,
    /// A new form cookie to set with the response.
    pub(super) new_form_cookie: Option<String>,
    /// Mark that cookie `Secure` (the site is served over https).
    pub(super) secure_cookies: bool,
}

impl Chrome {
    pub fn lang_tag(&self) -> &'static str {
        self.t.lang.tag()
    }

    /// Whether the page belongs to the operator console (its header and links differ).
    pub fn in_console(&self) -> bool {
        self.area == Area::Console
    }

    pub fn is_en(&self) -> bool {
        self.t.lang == Lang::En
    }

    /// The language switch's link (to the other language, back to this page).
    pub fn switch_href(&self) -> String {
        let other = if self.is_en() { "zh" } else { "en" };
        let next: String =
            percent_encoding::utf8_percent_encode(&self.here, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        format!("/lang/{other}?next={next}")
    }

    /// Chinese or English, by the page's language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }
}

impl PageRequest {
    /// The frame of a page; `session_csrf` is the logged-in session's token, if any.
    pub fn chrome(
        &self,
        state: &AppState,
        area: Area,
        user: Option<String>,
        session_csrf: Option<&str>,
    ) -> Chrome {
        let t = Tr::new(self.lang);
        let site = &state.app.hall.site;
        let (csrf, new_form_cookie) = match (session_csrf, &self.form_cookie) {
            (Some(token), _) => (token.to_string(), None),
            (None, Some(cookie)) => (cookie.clone(), None),
            (None, None) => {
                let fresh =
                    services::people::sessions::new_form_token(&state.app).unwrap_or_default();
                (fresh.clone(), Some(fresh))
            }
        };
        let en = self.lang == Lang::En;
        Chrome {
            t,
            area,
            ca_name: if en {
                &site.ca_name_en
            } else {
                &site.ca_name_zh
            }
            .clone(),
            hotline: site.hotline.clone(),
            service_hours: if en {
                &site.service_hours_en
            } else {
                &site.service_hours_zh
            }
            .clone(),
            email: site.email.clone(),
            user,
            csrf,
            here: self.here.clone(),
            nav: Vec::new(),
            notice: self
                .notice
                .map(|key| t.t(&format!("notice.{key}")).to_string()),
            new_form_cookie,
            secure_cookies: state.secure_cookies,
        }
    }
}

/// The frame of a hall page (public, account, 个人中心): showing the customer who is logged
/// in, if any. A form page of an anonymous flow passes `None` even for a logged-in
/// customer: its token is then the form cookie's, which is what its post checks.
pub fn hall_frame(
    state: &AppState,
    request: &PageRequest,
    customer: Option<&CustomerSession>,
) -> Chrome {
    request.chrome(
        state,
        Area::Hall,
        customer.map(|c| c.phone.masked()),
        customer.map(|c| c.live.csrf_token.as_str()),
    )
}
