//! Who works on an application's pages: the customer in the hall (`/applications/{id}`),
//! or a counter clerk in the console for a customer who came in person
//! (`/console/counter/applications/{id}`, 现场办理). The wizard's handlers are generic over
//! the desk: one set of pages, two frames and URL prefixes, and the same use cases, which
//! are given the desk's [`Applicant`] and decide what it may reach.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::response::Response;
use domain::AddressInput;
use services::ServiceError;
use services::flows::application::Applicant;
use services::people::actor::Actor;
use services::people::profiles::Profile;
use services::people::sessions::LiveSession;

use crate::AppState;
use crate::pages::{Chrome, PageRequest};

pub(crate) trait Desk:
    FromRequestParts<AppState, Rejection = Response> + Send + Sync + 'static
{
    /// Where one application's pages are, before `/{id}`.
    const BASE: &'static str;
    /// The list the pages lead back to (the crumbs, after a cancel).
    const LIST: &'static str;

    /// The session whose CSRF token the forms carry.
    fn live(&self) -> &LiveSession;
    /// The page's frame.
    fn frame(&self, state: &AppState, request: &PageRequest) -> Chrome;
    /// Who reads (timeline, documents, PDFs).
    fn actor(&self) -> Actor;
    /// Who fills in application `id`, for the use cases.
    fn applicant(
        &self,
        state: &AppState,
        id: i64,
    ) -> impl Future<Output = Result<Applicant, ServiceError>> + Send;
    /// What prefills the agent and delivery steps: the profile and the default address.
    fn prefill(
        &self,
        state: &AppState,
    ) -> impl Future<Output = (Profile, Option<AddressInput>)> + Send;
}
