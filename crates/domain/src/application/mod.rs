//! The application (申请单): one state machine for every business type ([`status`]) and
//! what the customer enters, step by step ([`content`]), and its real-name verification
//! ([`verification`]).

pub mod content;
pub mod document;
pub mod reject_reason;
pub mod status;
pub mod verification;

pub use content::{
    Accepted, Agent, AgentForm, Content, Individual, IndividualForm, Invoice, InvoiceForm,
    Organisation, OrganisationForm, ProductChoice, Registration, Shipping, Step, Subject,
};
pub use document::{DocumentRef, DocumentSlot};
pub use reject_reason::RejectReason;
pub use status::{ApplicationEvent, ApplicationStatus, Delivery, PaymentStep, Pipeline};
pub use verification::{CheckEvent, CheckStatus, Method, Outcome, Party, PinRoute, Verification};
