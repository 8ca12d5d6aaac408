//! ConductorOne API client.
