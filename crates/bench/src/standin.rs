//! The stand-ins (the `conductorone-standin` crate), started in this process on a runtime of
//! their own, with the control calls the bench makes.
//!
//! The only module that knows how the stand-ins run: the rest of the bench sees [`Standin`]'s
//! URLs, credentials and control calls, and sets them up with the stand-in crate's own
//! [`Options`].

use serde_json::Value;

pub use standin::Options;

pub struct Standin(standin::Standin);

impl Standin {
    /// Both stand-ins, set up as `options` says.
    pub fn start(options: Options) -> anyhow::Result<Self> {
        Ok(Standin(standin::start(options)?))
    }

    pub fn c1_url(&self) -> String {
        self.0.c1_url()
    }

    pub fn coupa_url(&self) -> String {
        self.0.coupa_url()
    }

    /// A ConductorOne credential field (`client_id`, `client_secret`, `app_id`, …).
    pub fn c1(&self, field: &str) -> String {
        self.0.c1(field)
    }

    /// A Coupa client's `client_id` or `client_secret` (`read_only`, `full`, …).
    pub fn coupa_client(&self, name: &str, field: &str) -> String {
        self.0.coupa_client(name, field)
    }

    pub async fn coupa_get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self.0.coupa_get(path).await)
    }

    pub async fn coupa_post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        Ok(self.0.coupa_post(path, body).await)
    }

    /// Logged API requests of the ConductorOne stand-in.
    pub async fn c1_requests(&self) -> anyhow::Result<Vec<Value>> {
        Ok(self.0.c1_requests().await)
    }

    /// Logged API requests of the Coupa stand-in.
    pub async fn coupa_requests(&self) -> anyhow::Result<Vec<Value>> {
        Ok(self.0.coupa_requests().await)
    }

    pub async fn clear_logs(&self) -> anyhow::Result<()> {
        self.0.clear_logs().await;
        Ok(())
    }

    /// Added latency per API request, on both APIs.
    pub async fn set_latency(&self, ms: u64) -> anyhow::Result<()> {
        self.0.set_latency(ms).await;
        Ok(())
    }
}
