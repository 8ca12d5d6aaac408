//! The state of a connector's syncs, and the knobs that shape them: plain data, kept apart from
//! [`crate::conductorone::sync`] (how syncs run) so that the connector record ([`crate::conductorone::model`]) can hold
//! it without the two importing each other.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The header that marks the Coupa check of a sync, so the Coupa stand-in keeps it out of its
/// request log and its faults (both are about the provider's own traffic) and counts it apart.
pub const SYNC_ORIGIN_HEADER: &str = "x-standin-origin";
pub const SYNC_ORIGIN: &str = "conductorone-sync";

/// How syncs end, changeable through `POST /_standin/config`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Done or error, as the Coupa check decides.
    #[default]
    Normal,
    /// `SYNC_STATUS_DISABLED` with [`SyncSettings::disabled_reason`].
    Disabled,
    /// Running for ever.
    Never,
}

/// What a sync request does while another sync runs or waits (undocumented in the real
/// service, reference §2.6: each is a plausible answer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Busy {
    /// Joins the sync that waits, or waits behind the running one.
    #[default]
    Queue,
    /// Is merged into the sync that runs or waits: nothing new starts.
    Merge,
    /// `force_sync` is refused with HTTP 400, gRPC code 9, or the status `sync_refuse_status`
    /// says (a config write is merged instead).
    Refuse,
}

/// What asked for a sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// The config write itself (create or update with a config).
    Write,
    ForceSync,
    Resume,
    /// The control API, as a scheduled sync would.
    Control,
    /// The connector's owner saving its settings in ConductorOne (the control API's
    /// `configure`).
    Owner,
}

/// What became of a sync request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Started,
    /// Joined the sync that waits, or merged into the one that runs.
    Merged,
    Refused,
    /// Syncing is disabled (paused).
    Disabled,
}

/// The sync knobs.
#[derive(Clone, Debug, Serialize)]
pub struct SyncSettings {
    pub sync_ms: u64,
    pub sync_queue_ms: u64,
    pub sync_ending: Ending,
    pub sync_disabled_reason: String,
    /// Make `lastError` quote the stored client secret, as a careless server could: the proof
    /// that the provider masks what it quotes.
    pub sync_error_echoes_secret: bool,
    /// A config write starts a sync by itself, as the real service does (default `true`).
    pub sync_on_write: bool,
    /// What a sync request does while another runs or waits.
    pub sync_busy: Busy,
    /// The HTTP status of a refused `force_sync` (`sync_busy = refuse`): 400 (gRPC code 9,
    /// `FAILED_PRECONDITION`, the default), 409 (code 10, `ABORTED`) or 429 (code 8,
    /// `RESOURCE_EXHAUSTED`); any other with code 2. Which one ConductorOne sends is not
    /// documented.
    pub sync_refuse_status: u16,
    /// When not empty, every sync the knobs run ends `SYNC_STATUS_ERROR` with this `lastError`,
    /// whatever Coupa answers: a connector whose last sync failed for a reason of ConductorOne's.
    pub sync_error: String,
}

impl SyncSettings {
    pub fn new(sync_ms: u64) -> Self {
        SyncSettings {
            sync_ms,
            sync_queue_ms: 200,
            sync_ending: Ending::Normal,
            sync_disabled_reason: "Syncing was disabled by an administrator".into(),
            sync_error_echoes_secret: false,
            sync_on_write: true,
            sync_busy: Busy::Queue,
            sync_refuse_status: 400,
            sync_error: String::new(),
        }
    }
}

/// Where a sync asks Coupa for a token: the Coupa stand-in's URL, and a client trusting it.
#[derive(Clone)]
pub struct CoupaProbe {
    pub url: String,
    pub http: reqwest::Client,
}

/// The Coupa check's answer: `Err` holds the `lastError`.
pub(crate) type Verdict = Arc<Mutex<Option<Result<(), String>>>>;

/// One sync, queued or running.
#[derive(Clone, Debug)]
pub struct Run {
    /// When it may start (it also waits for the one before it).
    pub(crate) not_before: Instant,
    /// `None`: never ends.
    pub(crate) duration: Option<Duration>,
    pub(crate) ending: Ending,
    pub(crate) disabled_reason: String,
    pub(crate) verdict: Verdict,
    pub(crate) started: Option<Instant>,
    /// What asked for it (the first request, when others joined).
    pub(crate) by: By,
    /// No start shows earlier than this, seconds and nanoseconds of the wall clock: the request
    /// it answers.
    pub(crate) floor: (i64, u32),
}

/// A connector's syncs: the running one first, then at most one waiting; and what happened to
/// them, for tests (`GET /_standin/syncs`).
#[derive(Clone, Debug, Default)]
pub struct Syncs {
    pub(crate) runs: VecDeque<Run>,
    pub(crate) history: Vec<serde_json::Value>,
}

impl Syncs {
    pub fn clear(&mut self) {
        self.runs.clear();
    }
}
