//! The IMAP poller (SPEC §5): files every message of the support mailbox through `ingest`, then
//! marks it — only after its case is committed.
//!
//! Progress is by UID, kept in the store under the mailbox's UIDVALIDITY, not by the `\Seen`
//! flag: mail someone already read in another client is still filed. Messages already marked
//! `$Sportello` are skipped, and a message fetched twice (two instances, a crash between commit
//! and marking) is recognised by its raw hash. A message that cannot be read is kept aside by
//! `ingest`; one too large is kept aside by its header; one whose filing keeps failing is kept
//! aside after [`MAX_ATTEMPTS`] tries: no single message stops the others. With IDLE the poller
//! hears of new mail at once; without it, it looks every [`POLL_EVERY`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::types::Flag;
use bytes::Bytes;
use futures_util::TryStreamExt;
use sportello_domain::evidence::content_hash;
use tokio_rustls::rustls::ClientConfig;

use crate::app::ingest::{ingest, keep_oversized, Ingested, MAX_MESSAGE_BYTES};
use crate::app::App;
use crate::mail::imap::{ImapError, ImapSession, MailboxUrl};

/// Our keyword on filed messages.
pub const FILED: &str = "$Sportello";
/// A message whose filing fails this many times in a row is kept aside, so the rest go on.
pub const MAX_ATTEMPTS: u32 = 3;
/// Without IDLE, how often to look for new mail.
const POLL_EVERY: Duration = Duration::from_secs(60);
/// IDLE is renewed before servers drop it (RFC 2177 asks for less than 29 minutes).
const IDLE_FOR: Duration = Duration::from_secs(25 * 60);
/// Reconnection waits: from 1 s, doubling, at most 5 minutes.
const RECONNECT_MAX: Duration = Duration::from_secs(300);

/// What one pass over the mailbox did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub filed: usize,
    pub duplicates: usize,
    pub kept_aside: usize,
    /// Filing failed; retried on the next pass (until [`MAX_ATTEMPTS`]).
    pub failed: usize,
    /// The server sent no body: neither filed nor marked, asked for again on the next pass.
    pub unfetched: usize,
}

pub struct MailboxPoller {
    pub app: App,
    pub url: MailboxUrl,
    pub tls: Arc<ClientConfig>,
    /// Failed filings per UID (under the current UIDVALIDITY).
    attempts: HashMap<u32, u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("the mailbox: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error("the store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the server announced no UIDVALIDITY for {0}")]
    NoUidValidity(String),
}

impl MailboxPoller {
    pub fn new(app: App, url: MailboxUrl, tls: Arc<ClientConfig>) -> MailboxPoller {
        MailboxPoller {
            app,
            url,
            tls,
            attempts: HashMap::new(),
        }
    }

    /// Connects and logs in; the mailbox is selected by each pass.
    pub async fn connect(&self) -> Result<ImapSession, PollError> {
        Ok(self.url.login(&self.tls).await?)
    }

    /// Files everything new in the mailbox once; tests call this to drain it deterministically.
    pub async fn pass(&mut self, session: &mut ImapSession) -> Result<Pass, PollError> {
        let (uid_validity, keywords_allowed) = self.select(session).await?;
        let after = self.progress(uid_validity).await?;
        let query = if keywords_allowed {
            format!("UID {}:* NOT KEYWORD {FILED}", after + 1)
        } else {
            format!("UID {}:*", after + 1)
        };
        let mut uids: Vec<u32> = session
            .uid_search(&query)
            .await?
            .into_iter()
            .filter(|uid| i64::from(*uid) > after)
            .collect();
        uids.sort_unstable();
        self.file_selected(session, &uids, uid_validity, keywords_allowed, after)
            .await
    }

    /// Selects the mailbox: its UIDVALIDITY, and whether it keeps our keyword.
    async fn select(&self, session: &mut ImapSession) -> Result<(i64, bool), PollError> {
        let mailbox = session.select(&self.url.mailbox).await?;
        let uid_validity = i64::from(
            mailbox
                .uid_validity
                .ok_or_else(|| PollError::NoUidValidity(self.url.mailbox.clone()))?,
        );
        let keywords_allowed = mailbox
            .permanent_flags
            .iter()
            .any(|f| matches!(f, Flag::MayCreate) || matches!(f, Flag::Custom(k) if k == FILED));
        Ok((uid_validity, keywords_allowed))
    }

    /// The last UID filed under this UIDVALIDITY; 0 for a new mailbox or one renumbered (read it
    /// all again: raw hashes stop duplicates).
    async fn progress(&mut self, uid_validity: i64) -> Result<i64, PollError> {
        match self.app.store.mailbox_progress(&self.url.key()).await? {
            Some((validity, last)) if validity == uid_validity => Ok(last),
            _ => {
                self.attempts.clear();
                Ok(0)
            }
        }
    }

    /// Files these messages of the mailbox, in order, marking each once its case is committed.
    /// A message whose fetch brings no body (expunged meanwhile, or a server's fault) is neither
    /// filed nor marked: the progress stays below it, so the next pass asks for it again.
    pub async fn file_uids(&mut self, session: &mut ImapSession, uids: &[u32]) -> Result<Pass, PollError> {
        let (uid_validity, keywords_allowed) = self.select(session).await?;
        let after = self.progress(uid_validity).await?;
        self.file_selected(session, uids, uid_validity, keywords_allowed, after)
            .await
    }

    async fn file_selected(
        &mut self,
        session: &mut ImapSession,
        uids: &[u32],
        uid_validity: i64,
        keywords_allowed: bool,
        after: i64,
    ) -> Result<Pass, PollError> {
        let key = self.url.key();
        let mut pass = Pass::default();
        let mut last = after;
        // Set at the first message left unfetched: the progress stops there.
        let mut held_back = false;
        for &uid in uids {
            let Some((raw_sha256, outcome)) = self.file(session, uid).await? else {
                tracing::warn!(
                    uid,
                    "the server sent no body for a message; it is asked for again next time"
                );
                pass.unfetched += 1;
                held_back = true;
                continue;
            };
            match outcome {
                Ok(Ingested::Duplicate) => pass.duplicates += 1,
                Ok(Ingested::KeptAside(_)) => pass.kept_aside += 1,
                Ok(_) => pass.filed += 1,
                Err(e) => {
                    let tries = self.attempts.entry(uid).or_insert(0);
                    *tries += 1;
                    tracing::warn!(uid, attempt = *tries, error = %e, "could not file a message");
                    if *tries < MAX_ATTEMPTS {
                        pass.failed += 1;
                        // Later messages wait too: progress stays below this one.
                        break;
                    }
                    let reason = format!("could not be filed after {MAX_ATTEMPTS} attempts: {e}");
                    self.app
                        .store
                        .keep_aside(
                            &reason,
                            &raw_sha256,
                            None,
                            Some(&format!("IMAP UID {uid}")),
                            self.app.clock.now(),
                        )
                        .await?;
                    pass.kept_aside += 1;
                }
            }
            self.attempts.remove(&uid);
            // Committed: now, and only now, the message is marked and the progress moves.
            let flags = if keywords_allowed {
                format!("(\\Seen {FILED})")
            } else {
                "(\\Seen)".to_owned()
            };
            session
                .uid_store(uid.to_string(), format!("+FLAGS.SILENT {flags}"))
                .await?
                .try_collect::<Vec<_>>()
                .await?;
            if !held_back {
                last = i64::from(uid);
                self.app
                    .store
                    .save_mailbox_progress(&key, uid_validity, last, self.app.clock.now())
                    .await?;
            }
        }
        if last == after {
            // Remember the UIDVALIDITY even when nothing was new.
            self.app
                .store
                .save_mailbox_progress(&key, uid_validity, last, self.app.clock.now())
                .await?;
        }
        Ok(pass)
    }

    /// Fetches one message (by its size first: a huge one only by its header) and files it.
    /// The outer error is the connection's; the inner one is the filing's, beside the hash of
    /// what was fetched. None when the server answered without the message.
    async fn file(
        &self,
        session: &mut ImapSession,
        uid: u32,
    ) -> Result<Option<(String, Result<Ingested, crate::app::Error>)>, PollError> {
        let Some(size) = first(session, uid, "(UID RFC822.SIZE)").await?.and_then(|f| f.size) else {
            return Ok(None);
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > MAX_MESSAGE_BYTES {
            let Some(header) = first(session, uid, "(UID BODY.PEEK[HEADER])")
                .await?
                .and_then(|f| f.header().map(Bytes::copy_from_slice))
            else {
                return Ok(None);
            };
            let hash = content_hash(&header).to_hex();
            return Ok(Some((hash, keep_oversized(&self.app, header, size as u64).await)));
        }
        // PEEK: reading must not mark it; marking waits for the commit.
        let Some(raw) = first(session, uid, "(UID BODY.PEEK[])")
            .await?
            .and_then(|f| f.body().map(Bytes::copy_from_slice))
        else {
            return Ok(None);
        };
        Ok(Some((content_hash(&raw).to_hex(), ingest(&self.app, raw).await)))
    }

    /// Polls until the process stops, reconnecting with growing waits after failures.
    pub async fn run(mut self) {
        let mut wait = Duration::from_secs(1);
        loop {
            match self.serve_session().await {
                Ok(()) => wait = Duration::from_secs(1),
                Err(e) => {
                    tracing::warn!(mailbox = %self.url.key(), error = %e, retry_in = ?wait, "mailbox");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RECONNECT_MAX);
                }
            }
        }
    }

    /// One connection: a pass, then IDLE (or a pause), again and again.
    async fn serve_session(&mut self) -> Result<(), PollError> {
        let mut session = self.connect().await?;
        let idle = session.capabilities().await?.has_str("IDLE");
        loop {
            let pass = self.pass(&mut session).await?;
            if pass != Pass::default() {
                tracing::info!(?pass, "mailbox pass");
            }
            if pass.failed > 0 || pass.unfetched > 0 {
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            while session.unsolicited_responses.try_recv().is_ok() {}
            if !idle {
                tokio::time::sleep(POLL_EVERY).await;
                continue;
            }
            let mut handle = session.idle();
            handle.init().await?;
            let (heard, _stop) = handle.wait_with_timeout(IDLE_FOR);
            // New mail, a timeout or an interruption: in every case, look again.
            let _: IdleResponse = heard.await?;
            session = handle.done().await?;
        }
    }
}

/// The first FETCH answer for one UID.
async fn first(
    session: &mut ImapSession,
    uid: u32,
    query: &str,
) -> Result<Option<async_imap::types::Fetch>, PollError> {
    let answers: Vec<_> = session.uid_fetch(uid.to_string(), query).await?.try_collect().await?;
    Ok(answers.into_iter().find(|f| f.uid == Some(uid)))
}
