//! Cursor pagination, as OpenAI's list endpoints do it.

use rusqlite::Transaction;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The order of a list, by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first (OpenAI's default).
    #[default]
    Desc,
}

/// The query of a list call: `limit`, `order`, `after`, `before`.
///
/// `after` and `before` are ids of objects in the list: `after` starts the page just past that
/// object (in the requested order), `before` ends it just before. When only `before` is given,
/// the page holds the `limit` objects nearest to it, still in the requested order, and
/// `has_more` says whether more come before them.
///
/// ```
/// use codex_compat::{ListParams, Order};
/// let params = ListParams::new().limit(20).order(Order::Asc).after("file-abc");
/// assert_eq!(params.limit, Some(20));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListParams {
    /// How many objects at most (each list has its own range and default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Oldest or newest first.
    #[serde(default)]
    pub order: Order,
    /// Start after this object's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// End before this object's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

impl ListParams {
    /// The defaults: the list's default limit, newest first, from the start.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `limit`.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `order`.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Sets `after`.
    pub fn after(mut self, id: impl Into<String>) -> Self {
        self.after = Some(id.into());
        self
    }

    /// Sets `before`.
    pub fn before(mut self, id: impl Into<String>) -> Self {
        self.before = Some(id.into());
        self
    }

    /// The limit, checked against the list's range.
    pub(crate) fn checked_limit(&self, default: u32, max: u32) -> Result<u32> {
        match self.limit {
            None => Ok(default),
            Some(limit) if (1..=max).contains(&limit) => Ok(limit),
            Some(limit) => Err(Error::invalid(
                "limit",
                format!("must be between 1 and {max} (got {limit}); omit it for the default of {default}"),
            )),
        }
    }
}

/// One page of internal sequence numbers, in the requested order.
pub(crate) struct SeqPage {
    pub(crate) seqs: Vec<i64>,
    pub(crate) has_more: bool,
}

/// Pages through `table` by its `seq` column (creation order), within an optional
/// `scope_column = scope_value`. `after_seq`/`before_seq` are the cursors' sequence numbers.
/// An OpenAI list page of `data`, its first and last ids read with `id`.
pub(crate) fn list_page<T>(
    data: Vec<T>,
    has_more: bool,
    id: impl Fn(&T) -> &str,
) -> codex_schema::ListPage<T> {
    codex_schema::ListPage {
        object: "list".to_owned(),
        first_id: data.first().map(|entry| id(entry).to_owned()),
        last_id: data.last().map(|entry| id(entry).to_owned()),
        has_more,
        data,
    }
}

pub(crate) fn page_seqs(
    tx: &Transaction<'_>,
    table: &str,
    scope: Option<(&str, i64)>,
    order: Order,
    limit: u32,
    after_seq: Option<i64>,
    before_seq: Option<i64>,
) -> rusqlite::Result<SeqPage> {
    // Bounds on seq, exclusive: lower < seq < upper.
    let (lower, upper) = match order {
        Order::Asc => (after_seq, before_seq),
        Order::Desc => (before_seq, after_seq),
    };
    // Walk away from `after` normally; walk back from `before` when it is the only cursor.
    let reverse = before_seq.is_some() && after_seq.is_none();
    let ascending = (order == Order::Asc) != reverse;

    let mut sql = format!("SELECT seq FROM {table} WHERE 1 = 1");
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some((column, value)) = scope {
        sql.push_str(&format!(" AND {column} = ?"));
        args.push(SqlValue::Integer(value));
    }
    if let Some(lower) = lower {
        sql.push_str(" AND seq > ?");
        args.push(SqlValue::Integer(lower));
    }
    if let Some(upper) = upper {
        sql.push_str(" AND seq < ?");
        args.push(SqlValue::Integer(upper));
    }
    sql.push_str(if ascending { " ORDER BY seq ASC" } else { " ORDER BY seq DESC" });
    sql.push_str(" LIMIT ?");
    args.push(SqlValue::Integer(i64::from(limit) + 1));

    let mut statement = tx.prepare_cached(&sql)?;
    let mut seqs: Vec<i64> = statement
        .query_map(rusqlite::params_from_iter(args), |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let has_more = seqs.len() > limit as usize;
    seqs.truncate(limit as usize);
    if reverse {
        seqs.reverse();
    }
    Ok(SeqPage { seqs, has_more })
}
