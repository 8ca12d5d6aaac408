//! Coupa API client.
