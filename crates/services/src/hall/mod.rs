//! The business hall's own data: its configuration (site, separation of duties, the
//! channels that seed the database), the working calendar, the channels as stored and
//! edited, and the console's work queues.

pub mod calendar;
pub mod channels;
pub mod config;
pub mod merchants;
pub mod queues;
