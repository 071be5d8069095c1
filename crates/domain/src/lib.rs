//! Pure business rules of CertHall: identifiers and their check digits.
//!
//! Nothing here does I/O. Each identifier is a parse-don't-validate newtype: once a value
//! of the type exists, it is known to be well formed.

pub mod password;
pub mod phone;
pub mod resident_id;
pub mod roles;
pub mod uscc;

pub use password::{PasswordError, check_new_password};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use resident_id::{ResidentId, ResidentIdError};
pub use roles::{Role, Roles, UnknownRole};
pub use uscc::{Uscc, UsccError};
pub mod certificate_status;

pub use certificate_status::{CertificateStatus, RevocationEvent, TransitionError};
