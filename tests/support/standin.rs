//! The stand-ins, started in process (see the `conductorone-standin` crate).

pub use standin::Standin;
