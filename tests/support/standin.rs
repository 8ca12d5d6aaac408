//! The stand-ins, started in process (see the `conductorone-standin` crate).

#[allow(unused_imports)]
pub use standin::{Options, Standin};
