//! Pure business rules of CertHall: identifiers and their check digits, money, business
//! types, channels and the separation of duties.
//!
//! Nothing here does I/O. Each identifier is a parse-don't-validate newtype: once a value
//! of the type exists, it is known to be well formed.

pub mod business;
pub mod channel;
pub mod duties;
pub mod money;
pub mod password;
pub mod phone;
pub mod resident_id;
pub mod roles;
pub mod uscc;

pub use business::BusinessType;
pub use channel::{Channel, ChannelError};
pub use duties::{Duty, DutyConflict, DutyRule, SeparationOfDuties};
pub use money::Fen;
pub use password::{PasswordError, check_new_password};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use resident_id::{ResidentId, ResidentIdError};
pub use roles::{Role, Roles, UnknownRole};
pub use uscc::{Uscc, UsccError};
pub mod certificate_status;

pub use certificate_status::{CertificateStatus, RevocationEvent, TransitionError};
