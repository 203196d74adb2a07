//! The facility change feed behind the `facilityChanged` subscription.
//!
//! On PostgreSQL every write announces its changes with `pg_notify` inside its transaction, so
//! they are delivered on commit, and only then, to every process listening on the database
//! (this one included): a change made through any instance reaches subscribers of all of them.
//! On SQLite (one process) the changes are published in memory after the commit.

use super::{Store, StoreResult};
use chrono::{DateTime, Utc};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

const CHANNEL: &str = "facility_changed";
/// PostgreSQL refuses notification payloads of 8,000 bytes or more.
const MAX_PAYLOAD_BYTES: usize = 7_000;
/// Events a slow subscriber may fall behind by before it is told it missed some.
const FEED_CAPACITY: usize = 4_096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    #[serde(rename = "C")]
    Created,
    #[serde(rename = "U")]
    Updated,
    #[serde(rename = "D")]
    Deleted,
    #[serde(rename = "R")]
    Restored,
}

/// One committed change of one facility.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FacilityChange {
    #[serde(rename = "k")]
    pub kind: ChangeKind,
    pub id: i64,
    /// The version the change created (for a deletion, the version deleted).
    #[serde(rename = "v")]
    pub version: i32,
    pub at: DateTime<Utc>,
}

/// What subscribers receive.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedEvent {
    Change(FacilityChange),
    /// Changes may have been missed (the notification connection was lost).
    Gap,
}

#[derive(Debug)]
pub(super) struct ChangeFeed {
    sender: broadcast::Sender<FeedEvent>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self { sender: broadcast::channel(FEED_CAPACITY).0 }
    }
}

impl Store {
    /// Every facility change committed from now on, through any process on this database.
    pub fn facility_changes(&self) -> broadcast::Receiver<FeedEvent> {
        self.feed.sender.subscribe()
    }

    /// Commits `txn`, announcing `changes` with it.
    pub(super) async fn commit_announcing(
        &self,
        txn: DatabaseTransaction,
        changes: Vec<FacilityChange>,
    ) -> StoreResult<()> {
        if self.backend() == DbBackend::Postgres {
            for payload in payloads(&changes) {
                let notify = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                );
                txn.execute_raw(notify).await?;
            }
            txn.commit().await?;
        } else {
            txn.commit().await?;
            for change in changes {
                // No receiver is not an error: nobody is subscribed.
                let _ = self.feed.sender.send(FeedEvent::Change(change));
            }
        }
        Ok(())
    }

    /// On PostgreSQL, starts forwarding the database's change notifications to this process's
    /// subscribers, on a connection of its own (not one of the pool's). If that connection is
    /// lost it is made again, and subscribers are told that changes may have been missed.
    /// Does nothing on SQLite.
    pub async fn listen_for_changes(&self) -> StoreResult<()> {
        if self.backend() != DbBackend::Postgres {
            return Ok(());
        }
        let url = self.url.0.clone();
        let mut listener = Some(listen(&url).await.map_err(conn_err)?);
        let sender = self.feed.sender.clone();
        tokio::spawn(async move {
            loop {
                let Some(connected) = listener.as_mut() else {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    if let Ok(again) = listen(&url).await {
                        tracing::info!("change notifications connection restored");
                        listener = Some(again);
                        let _ = sender.send(FeedEvent::Gap);
                    }
                    continue;
                };
                match connected.try_recv().await {
                    Ok(Some(notification)) => match serde_json::from_str::<Vec<FacilityChange>>(notification.payload())
                    {
                        Ok(changes) => {
                            for change in changes {
                                let _ = sender.send(FeedEvent::Change(change));
                            }
                        }
                        Err(error) => tracing::warn!(%error, "unreadable change notification"),
                    },
                    Ok(None) => {
                        tracing::warn!("change notifications connection lost and made again");
                        let _ = sender.send(FeedEvent::Gap);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "change notifications connection lost; reconnecting");
                        listener = None;
                    }
                }
            }
        });
        Ok(())
    }
}

async fn listen(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

fn conn_err(error: sea_orm::sqlx::Error) -> sea_orm::DbErr {
    sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(error.into()))
}

/// The changes as JSON arrays, each small enough for one notification.
fn payloads(changes: &[FacilityChange]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for change in changes {
        let Ok(json) = serde_json::to_string(change) else { continue };
        if size + json.len() + 1 > MAX_PAYLOAD_BYTES && !current.is_empty() {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_under_the_limit_and_keep_every_change() {
        let changes: Vec<FacilityChange> = (0..1_000)
            .map(|i| FacilityChange { kind: ChangeKind::Updated, id: i, version: 3, at: Utc::now() })
            .collect();
        let payloads = payloads(&changes);
        assert!(payloads.len() > 1);
        let mut back = Vec::new();
        for p in &payloads {
            assert!(p.len() < MAX_PAYLOAD_BYTES);
            back.extend(serde_json::from_str::<Vec<FacilityChange>>(p).unwrap());
        }
        assert_eq!(back, changes);
    }
}
