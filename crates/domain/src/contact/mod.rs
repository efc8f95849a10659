//! How we reach the customer: an e-mail address and a phone number, both parsed once at the edge.

pub mod email;
pub mod phone;
