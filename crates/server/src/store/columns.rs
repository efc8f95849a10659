//! Reading a row's columns as domain types: each value by its type's own rule, and a value that
//! does not read back is [`StoreError::Corrupt`] naming its column — never `{}`, 1970 or a guess.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::StoreError;

/// Times cross into the store as UTC milliseconds since the epoch.
pub(super) fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(super) fn corrupt(column: &str, why: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {why}"))
}

pub(super) fn time(column: &str, ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(column, format!("{ms} is no instant")))
}

pub(super) fn parsed<T>(column: &str, text: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    text.parse().map_err(|e| corrupt(column, e))
}

pub(super) fn json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(column, e))
}

/// A row of either driver: sqlx's, or rusqlite's where SQLite is read in bulk (reports).
pub(super) trait Values {
    fn opt_i64(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
}

impl Values for AnyRow {
    fn opt_i64(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(column)?)
    }
}

/// A rusqlite row with its statement's column names read once, not at every value (rusqlite asks
/// SQLite for every column's name and compares them ignoring case, for each value).
pub(super) struct NamedRow<'r> {
    pub row: &'r rusqlite::Row<'r>,
    pub names: &'r [String],
}

impl NamedRow<'_> {
    fn index(&self, column: &str) -> Result<usize, StoreError> {
        self.names
            .iter()
            .position(|n| n == column)
            .ok_or_else(|| corrupt(column, "is not in the statement"))
    }
}

impl Values for NamedRow<'_> {
    fn opt_i64(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.row.get(self.index(column)?).map_err(|e| corrupt(column, e))
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.row.get(self.index(column)?).map_err(|e| corrupt(column, e))
    }
}

/// One row, read column by column.
pub(super) struct Columns<'r, R: Values = AnyRow>(pub &'r R);

impl<R: Values> Columns<'_, R> {
    pub fn i64(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_i64(column)?.ok_or_else(|| corrupt(column, "is empty"))
    }

    pub fn opt_i64(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.0.opt_i64(column)
    }

    pub fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?.ok_or_else(|| corrupt(column, "is empty"))
    }

    pub fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.0.opt_text(column)
    }

    /// Booleans are 0/1 integers; anything else is not one of ours.
    pub fn flag(&self, column: &str) -> Result<bool, StoreError> {
        match self.i64(column)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(corrupt(column, format!("{other} is not 0 or 1"))),
        }
    }

    pub fn time(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        time(column, self.i64(column)?)
    }

    pub fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.opt_i64(column)?.map(|ms| time(column, ms)).transpose()
    }

    pub fn parsed<T>(&self, column: &str) -> Result<T, StoreError>
    where
        T: FromStr,
        T::Err: Display,
    {
        parsed(column, &self.text(column)?)
    }

    pub fn opt_parsed<T>(&self, column: &str) -> Result<Option<T>, StoreError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.opt_text(column)?.map(|t| parsed(column, &t)).transpose()
    }

    pub fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        json(column, &self.text(column)?)
    }
}
