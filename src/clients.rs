//! The API clients of one plugin process, below the Terraform objects that use them.
//!
//! tf-provider builds the resource and data source objects before the provider is configured, so
//! each holds a [`Shared`] handle, which `configure` fills with [`Clients`]. The provider module
//! writes it; resources and data sources read it; neither imports the other.

use std::sync::{Arc, RwLock};

use tf_provider::Diagnostics;

use crate::conductorone::ConductorOne;
use crate::coupa::Coupa;
use crate::tf::diag;

/// The API clients of one configured provider process.
pub struct Clients {
    pub conductorone: ConductorOne,
    pub coupa: Coupa,
}

/// A handle on the clients, empty until `configure` runs.
#[derive(Clone, Default)]
pub struct Shared(Arc<RwLock<Option<Arc<Clients>>>>);

impl Shared {
    pub fn set(&self, clients: Clients) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(Arc::new(clients));
        }
    }

    /// The clients, or an error diagnostic saying the provider is not configured.
    pub fn get(&self, diags: &mut Diagnostics) -> Option<Arc<Clients>> {
        let clients = self.0.read().ok().and_then(|slot| slot.clone());
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
