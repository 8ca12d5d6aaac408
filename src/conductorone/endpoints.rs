//! The connector ("integration") endpoints: get, list, update, delete.
//!
//! Paths are `/api/v1/apps/{app_id}/connectors/…`. Two traps from the API: a create goes to
//! `…/connectors/create` (a POST to the collection is a different operation that takes no
//! config), and an update is a POST to the object with a comma-separated `updateMask`.
//!
//! Creating one is in [`super::create`]: the check for an existing connector of the same
//! integration, and what to do when the create's answer is lost. Reading (with the proof a
//! connector is gone) is in `read`, writing in `write`, and what both share on the wire in `wire`.

mod read;
mod wire;
mod write;

pub use read::{ConnectorList, Gone, Read, LIST_MAX_PAGES, LIST_PAGE_SIZE};
pub(crate) use wire::read_connector;
pub(crate) use wire::{json_body, segment};
pub use write::UpdateError;

#[cfg(test)]
mod on_the_wire;
