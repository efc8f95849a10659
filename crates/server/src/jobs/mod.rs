//! Work that runs beside the HTTP server.

pub mod delivery;
pub mod mailbox;
