//! Work that runs beside the HTTP server.

pub mod assigner;
pub mod blobs;
pub mod delivery;
pub mod mailbox;
pub mod replies;
pub mod sla;
pub mod thumbnails;
