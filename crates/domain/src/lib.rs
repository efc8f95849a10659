//! Sportello's domain: every rule of the support desk as pure functions over plain data.
//!
//! No async, no I/O, no SQL, no HTTP: channels translate their input into a [`request::NewRequest`],
//! this crate decides whether it is acceptable and how urgent it is, and the server stores the result.

#[macro_use]
mod text_enum;

pub mod access;
pub mod alert;
pub mod assignment;
pub mod audit;
pub mod calendar;
pub mod canned;
pub mod case;
pub mod case_number;
pub mod catalog;
pub mod contact;
pub mod csat;
pub mod device;
pub mod estimate;
pub mod evidence;
pub mod formats;
pub mod help;
pub mod organisation;
pub mod problem;
pub mod report;
pub mod request;
pub mod search;
pub mod sla;
pub mod text;
pub mod thumbnail;
pub mod triage;
pub mod webhook;
