//! Sportello's server: configuration, store, blobs, use cases and HTTP, around the pure domain.

pub mod app;
pub mod blobs;
pub mod cli;
pub mod config;
pub mod events;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod startup;
pub mod store;
pub mod web;
pub mod webhooks;
