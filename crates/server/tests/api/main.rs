#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The HTTP API of SPEC §3 against the real server, on SQLite and PostgreSQL.

mod assignment;
mod assignment_day;
mod browser;
mod canned;
mod collision;
mod desk;
mod helpers;
mod hostile;
mod imap;
mod ingest;
mod insight;
mod intake;
mod lifecycle;
mod limits;
mod mail;
mod openapi;
mod organisations;
mod pages;
mod probing;
mod reports;
mod search;
mod status;
mod thumbnails;
mod undo;
mod webhooks;
