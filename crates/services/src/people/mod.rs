//! People: customers (registration, login, profile, address book), operators (the
//! console's staff and their roles), who is acting ([`actor`]), sessions of both, their
//! credentials and the SMS codes that prove a phone.

pub mod accounts;
pub mod actor;
pub mod credentials;
pub mod operators;
pub mod profiles;
pub mod sessions;
pub mod sms_codes;
