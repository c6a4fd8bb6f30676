//! Conversation replay for `previous_response_id`.
//!
//! The Codex backend keeps nothing between requests (`store: false`), so `previous_response_id`
//! is served locally: after each completed response the caller records the request's input
//! items and the response's output items (reasoning items with their `encrypted_content`
//! included) under the response id; a later request that names it as `previous_response_id`
//! is expanded to the whole chain's items, oldest first, followed by its own input.
//!
//! Responses that continue one another form a conversation, which expires as a whole
//! [`crate::StoreOptions::conversation_ttl`] after its last recorded response (so a long
//! conversation never loses its beginning while it is in use). Expired conversations are
//! purged on open, by [`Conversations::record`] (when this handle's last purge is older than
//! the TTL or a minute, whichever is shorter, or when the record meets an expired one), and by
//! [`Conversations::purge_expired`]; until then [`Conversations::expand`] and `record` already
//! treat them as gone.

use std::sync::Arc;
use std::time::SystemTime;

use codex_schema::Item;
use rusqlite::OptionalExtension;

use crate::db::{TxError, TxResult};
use crate::error::{Error, ResourceKind, Result};
use crate::ids::{now_millis, unix_millis};
use crate::store::Inner;
use crate::validate;

/// The recorded responses of a [`crate::CompatStore`]: `store.conversations()`.
#[derive(Debug, Clone)]
pub struct Conversations {
    pub(crate) inner: Arc<Inner>,
}

fn purge_before(tx: &rusqlite::Transaction<'_>, cutoff_ms: i64) -> TxResult<u64> {
    let removed = tx
        .prepare_cached(
            "DELETE FROM responses WHERE conversation_id IN
                 (SELECT id FROM conversations WHERE last_active_ms < ?1)",
        )?
        .execute([cutoff_ms])?;
    tx.prepare_cached("DELETE FROM conversations WHERE last_active_ms < ?1")?.execute([cutoff_ms])?;
    Ok(removed as u64)
}

/// One completed response for [`Conversations::record_all`]: what
/// [`Conversations::record`] takes.
#[derive(Debug, Clone, Copy)]
pub struct ResponseRecord<'a> {
    /// The response's id.
    pub response_id: &'a str,
    /// The response it continues, when its request named one.
    pub previous_response_id: Option<&'a str>,
    /// The request's own input items (as sent, before any expansion).
    pub input_items: &'a [Item],
    /// The response's output items.
    pub output_items: &'a [Item],
}

impl ResponseRecord<'_> {
    /// Checks the ids and writes the items as JSON: the record's input and output columns.
    fn prepare(&self) -> Result<(String, String)> {
        validate::id("response_id", self.response_id)?;
        if let Some(previous) = self.previous_response_id {
            validate::id("previous_response_id", previous)?;
            if previous == self.response_id {
                return Err(Error::invalid(
                    "previous_response_id",
                    "must differ from response_id; a response cannot continue itself",
                ));
            }
        }
        let input = serde_json::to_string(self.input_items)
            .map_err(|e| Error::invalid("input_items", format!("cannot be written as JSON: {e}")))?;
        let output = serde_json::to_string(self.output_items)
            .map_err(|e| Error::invalid("output_items", format!("cannot be written as JSON: {e}")))?;
        Ok((input, output))
    }
}

/// Records one prepared response inside `tx`. A refusal (`TxError::Api`) comes before this
/// response writes anything.
fn record_one(
    tx: &rusqlite::Transaction<'_>,
    record: &ResponseRecord<'_>,
    input: &str,
    output: &str,
    cutoff: i64,
    purged: &mut bool,
) -> TxResult<()> {
    let ResponseRecord { response_id, previous_response_id, .. } = *record;
    // Each lookup also reads its conversation's last activity: an expired conversation
    // is gone for a record as for `expand`, purged or not.
    let lookup = |tx: &rusqlite::Transaction<'_>| -> TxResult<_> {
        let existing: Option<(Option<i64>, String, String, i64)> = tx
            .prepare_cached(
                "SELECT r.previous_seq, r.input, r.output, c.last_active_ms FROM responses r
                 JOIN conversations c ON c.id = r.conversation_id WHERE r.id = ?1",
            )?
            .query_row([response_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let previous: Option<(i64, String, i64)> = match previous_response_id {
            Some(previous) => tx
                .prepare_cached(
                    "SELECT r.seq, r.conversation_id, c.last_active_ms FROM responses r
                     JOIN conversations c ON c.id = r.conversation_id WHERE r.id = ?1",
                )?
                .query_row([previous], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?,
            None => None,
        };
        Ok((existing, previous))
    };
    let (mut existing, previous) = lookup(tx)?;
    // Continuing an unknown or expired response is refused before anything is written.
    let previous: Option<(i64, String)> = match (previous_response_id, previous) {
        (None, _) => None,
        (Some(_), Some((seq, conversation, last_active))) if last_active >= cutoff => {
            Some((seq, conversation))
        }
        (Some(id), _) => return Err(Error::not_found(ResourceKind::Response, id).into()),
    };
    // An expired record of this very id goes (with everything else expired), so the id is
    // recorded afresh.
    if existing.as_ref().is_some_and(|e| e.3 < cutoff) {
        purge_before(tx, cutoff)?;
        *purged = true;
        existing = lookup(tx)?.0;
    }
    let existing = existing.map(|(previous_seq, input, output, _)| (previous_seq, input, output));
    if let Some((previous_seq, old_input, old_output)) = existing {
        if previous_seq == previous.as_ref().map(|p| p.0) && old_input == input && old_output == output {
            return Ok(());
        }
        return Err(Error::invalid(
            "response_id",
            format!("`{response_id}` is recorded already with other items; response ids are unique"),
        )
        .into());
    }
    let conversation_id = match &previous {
        Some((_, conversation)) => conversation.clone(),
        None => response_id.to_owned(),
    };
    let now = now_millis();
    tx.prepare_cached(
        "INSERT INTO conversations (id, last_active_ms) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET last_active_ms = MAX(last_active_ms, excluded.last_active_ms)",
    )?
    .execute((&conversation_id, now))?;
    tx.prepare_cached(
        "INSERT INTO responses (id, previous_seq, conversation_id, input, output, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((response_id, previous.as_ref().map(|p| p.0), &conversation_id, &input, &output, now))?;
    Ok(())
}

/// The longest a handle goes between purges while it records (shorter when the TTL is).
const PURGE_INTERVAL_MS: i64 = 60_000;

impl Conversations {
    /// Whether this record should purge first: a purge on every record cost a fifth of it.
    fn purge_due(&self, now: i64) -> bool {
        let last = self.inner.last_purge_ms.load(std::sync::atomic::Ordering::Relaxed);
        now.saturating_sub(last) >= PURGE_INTERVAL_MS.min(self.ttl_ms())
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.inner.options.conversation_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    fn cutoff_ms(&self) -> i64 {
        now_millis().saturating_sub(self.ttl_ms())
    }

    /// Records a completed response: the input items of its request (as sent, before any
    /// expansion) and its output items, linked to `previous_response_id` when the request had
    /// one.
    ///
    /// Recording the same response again with the same content is a no-op; with different
    /// content it is an [`Error::InvalidArgument`]. An unknown (or expired)
    /// `previous_response_id` is [`Error::NotFound`]. Also purges expired conversations.
    pub fn record(
        &self,
        response_id: &str,
        previous_response_id: Option<&str>,
        input_items: &[Item],
        output_items: &[Item],
    ) -> Result<()> {
        let record = ResponseRecord { response_id, previous_response_id, input_items, output_items };
        self.record_all(&[record])?.pop().expect("one outcome per record")
    }

    /// Records several completed responses in one transaction, in order (one may continue
    /// another recorded before it in the same call): one commit instead of one per response.
    ///
    /// Each response gets the outcome [`record`](Self::record) would give it. A refused one
    /// writes nothing and leaves the others recorded. The outer error is a storage failure:
    /// then none is recorded.
    ///
    /// ```
    /// use codex_compat::{CompatStore, ResponseRecord, StorageLocation};
    /// use codex_schema::{Item, Message};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = CompatStore::open(StorageLocation::dir(dir.path()))?;
    /// let question = [Item::Message(Message::user("Hi"))];
    /// let records = [
    ///     ResponseRecord { response_id: "resp_1", previous_response_id: None, input_items: &question, output_items: &[] },
    ///     ResponseRecord { response_id: "resp_2", previous_response_id: Some("resp_1"), input_items: &question, output_items: &[] },
    ///     ResponseRecord { response_id: "resp_3", previous_response_id: Some("resp_unknown"), input_items: &[], output_items: &[] },
    /// ];
    /// let outcomes = store.conversations().record_all(&records)?;
    /// assert!(outcomes[0].is_ok() && outcomes[1].is_ok());
    /// assert!(outcomes[2].is_err(), "an unknown previous response is refused, alone");
    /// assert_eq!(store.conversations().expand("resp_2", &[])?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_all(&self, records: &[ResponseRecord<'_>]) -> Result<Vec<Result<()>>> {
        // Checked and written as JSON before the transaction, which then holds the lock for
        // the database work alone.
        let prepared: Vec<Result<(String, String)>> = records.iter().map(ResponseRecord::prepare).collect();
        let cutoff = self.cutoff_ms();
        let written = self.inner.db.write("record a response", |tx| {
            let mut purged = false;
            if self.purge_due(now_millis()) {
                purge_before(tx, cutoff)?;
                purged = true;
            }
            let mut outcomes = Vec::with_capacity(records.len());
            for (record, prepared) in records.iter().zip(&prepared) {
                let Ok((input, output)) = prepared else {
                    outcomes.push(None);
                    continue;
                };
                // A refused response has written nothing when it is refused: the others stand.
                match record_one(tx, record, input, output, cutoff, &mut purged) {
                    Ok(()) => outcomes.push(Some(Ok(()))),
                    Err(TxError::Api(error)) => outcomes.push(Some(Err(error))),
                    Err(other) => return Err(other),
                }
            }
            if purged {
                self.inner.last_purge_ms.store(now_millis(), std::sync::atomic::Ordering::Relaxed);
            }
            Ok(outcomes)
        })?;
        // `None` marks a record refused before the transaction: its outcome is that refusal.
        Ok(written
            .into_iter()
            .zip(prepared)
            .map(|(outcome, prepared)| outcome.unwrap_or_else(|| prepared.map(drop)))
            .collect())
    }

    /// The full item history for a request that continues `previous_response_id`: the inputs
    /// and outputs of every response in its chain, oldest first, then `new_input_items`.
    ///
    /// [`Error::NotFound`] when the id was never recorded here or its conversation expired.
    pub fn expand(&self, previous_response_id: &str, new_input_items: &[Item]) -> Result<Vec<Item>> {
        validate::id("previous_response_id", previous_response_id)?;
        let cutoff = self.cutoff_ms();
        let chain: Vec<(String, String)> = self.inner.db.read("expand a previous response", |tx| {
            let active: Option<i64> = tx
                .prepare_cached(
                    "SELECT c.last_active_ms FROM responses r JOIN conversations c ON c.id = r.conversation_id
                     WHERE r.id = ?1",
                )?
                .query_row([previous_response_id], |r| r.get(0))
                .optional()?;
            if active.is_none_or(|last_active| last_active < cutoff) {
                return Err(Error::not_found(ResourceKind::Response, previous_response_id).into());
            }
            let chain = tx
                .prepare_cached(
                    "WITH RECURSIVE chain(seq, previous_seq, depth) AS (
                         SELECT seq, previous_seq, 0 FROM responses WHERE id = ?1
                         UNION ALL
                         SELECT r.seq, r.previous_seq, chain.depth + 1
                         FROM responses r JOIN chain ON r.seq = chain.previous_seq
                     )
                     SELECT r.input, r.output FROM chain JOIN responses r ON r.seq = chain.seq
                     ORDER BY chain.depth DESC",
                )?
                .query_map([previous_response_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(chain)
        })?;
        let mut items = Vec::new();
        for (input, output) in chain {
            for json in [input, output] {
                let mut part: Vec<Item> = serde_json::from_str(&json).map_err(|e| {
                    Error::storage("read a recorded response's items", self.inner.db.path(), e)
                })?;
                items.append(&mut part);
            }
        }
        items.extend_from_slice(new_input_items);
        Ok(items)
    }

    /// Whether a response is recorded and its conversation has not expired.
    pub fn contains(&self, response_id: &str) -> Result<bool> {
        match self.expand(response_id, &[]) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Purges conversations idle for longer than the store's `conversation_ttl`. Returns how
    /// many responses were removed.
    pub fn purge_expired(&self) -> Result<u64> {
        let cutoff = self.cutoff_ms();
        self.inner.db.write("purge expired conversations", |tx| purge_before(tx, cutoff))
    }

    /// Purges conversations whose last response was recorded before `cutoff`. Returns how many
    /// responses were removed.
    pub fn purge_inactive_before(&self, cutoff: SystemTime) -> Result<u64> {
        let cutoff = unix_millis(cutoff);
        self.inner.db.write("purge old conversations", |tx| purge_before(tx, cutoff))
    }
}
