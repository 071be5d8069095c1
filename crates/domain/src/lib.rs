//! Pure business rules of CertHall: identifiers and their check digits, money, business
//! types, channels, the separation of duties, the state machines of what has a status, the
//! audit log's vocabulary, and time (dates in China, working days).
//!
//! Nothing here does I/O, and no rule reads the clock: rules take `now` (see [`time`]).
//! Each identifier is a parse-don't-validate newtype: once a value of the type exists, it
//! is known to be well formed; a refusal is a [`FieldError`] naming the field, in Chinese
//! and English.

pub mod address;
pub mod application;
pub mod audit_action;
pub mod bank_card;
pub mod business;
pub mod certificate_status;
pub mod channel;
pub mod contact;
pub mod courier;
pub mod csv;
pub mod duties;
pub mod field_error;
pub mod invoice;
pub mod lang;
pub mod licence_number;
pub mod message;
pub mod money;
pub mod order;
pub mod organisation_code;
pub mod password;
pub mod payment;
pub mod phone;
pub mod production;
pub mod refund;
pub mod resident_id;
pub mod roles;
pub mod statement;
pub mod text;
pub mod time;
pub mod transition;
pub mod usb_key;
pub mod uscc;

pub use address::{Address, AddressBookEntry, AddressInput};
pub use application::{ApplicationEvent, ApplicationStatus};
pub use audit_action::{AuditAction, AuditEntry, AuditFilter};
pub use business::BusinessType;
pub use certificate_status::{CertificateStatus, RevocationEvent, TransitionError};
pub use channel::Channel;
pub use duties::{Duty, DutyConflict, DutyRule, SeparationOfDuties};
pub use field_error::FieldError;
pub use lang::Lang;
pub use licence_number::{LicenceNumber, LicenceNumberError};
pub use message::{MessageEvent, MessageKind, MessageStatus};
pub use money::Fen;
pub use organisation_code::{OrganisationCode, OrganisationCodeError};
pub use password::{PasswordError, check_new_password};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use resident_id::{ResidentId, ResidentIdError};
pub use roles::{Role, Roles, UnknownRole};
pub use time::{ChinaDate, Clock, UnixTime, WorkingCalendar};
pub use transition::{Refused, Status, Transition, UnknownState};
pub use uscc::{Uscc, UsccError};
