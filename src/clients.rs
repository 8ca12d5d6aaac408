//! The API clients of one plugin process, below the Terraform objects that use them.
//!
//! tf-provider builds the resource and data source objects before the provider is configured, so
//! each holds a [`Shared`] handle, which `configure` fills with [`Clients`]. The provider module
//! writes it; resources and data sources read it; neither imports the other.

use std::sync::{Arc, RwLock};

use tf_provider::Diagnostics;

use crate::conductorone::ConductorOne;
use crate::coupa::Coupa;
use crate::stop::Stop;
use crate::tf::diag;

/// The API clients of one configured provider process.
pub struct Clients {
    pub conductorone: ConductorOne,
    pub coupa: Coupa,
}

/// A handle on the clients, empty until `configure` runs, and on the provider's stop request.
#[derive(Clone, Default)]
pub struct Shared {
    clients: Arc<RwLock<Option<Arc<Clients>>>>,
    stop: Stop,
}

impl Shared {
    /// An empty handle whose operations answer to `stop`.
    pub fn with_stop(stop: Stop) -> Self {
        Shared {
            clients: Arc::default(),
            stop,
        }
    }

    /// The stop request every long operation of this provider answers to (see [`crate::stop`]).
    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    pub fn set(&self, clients: Clients) {
        if let Ok(mut slot) = self.clients.write() {
            *slot = Some(Arc::new(clients));
        }
    }

    /// The clients, or an error diagnostic saying the provider is not configured.
    pub fn get(&self, diags: &mut Diagnostics) -> Option<Arc<Clients>> {
        let clients = self.clients.read().ok().and_then(|slot| slot.clone());
        if clients.is_none() {
            diag::root_error(
                diags,
                "Provider Not Configured",
                "The conductorone provider was used before it was configured. This usually follows an earlier error in the provider block: fix that one first.",
            );
        }
        clients
    }
}
