//! The auth floor under both API clients: what every bearer token has in common, solved once.
//!
//! A client keeps only its *grant*, how it gets a token (Coupa: OAuth2 client credentials in
//! `coupa::token`; ConductorOne: a signed JWT assertion, an OIDC token exchange or a static token
//! in `conductorone::token`), and the wording of its token endpoint's refusals. Everything else
//! is here, the same for both:
//! - [`bearer`]: the [`Bearer`] token and its `Authorization` header, built once and marked
//!   sensitive, so a token that cannot travel in a header is refused where it arrives.
//! - [`answer`]: reading a token answer's success body (`access_token`, `token_type`,
//!   `expires_in` with its caps), and each service's [`Policy`]: the lifetime it assumes and
//!   when it renews.
//! - [`cache`]: the one token cache (single flight, renew margin, a still-valid token kept when
//!   its renewal fails, invalidation).
//! - [`renew`]: "401 → renew once" over any [`Source`] of tokens.
//!
//! It knows nothing of Coupa or ConductorOne; it sits on [`crate::http`] and [`crate::secret`].

pub mod answer;
pub mod bearer;
pub mod cache;
pub mod renew;

pub use answer::{OddExpiresIn, Policy, Renewal, MAX_EXPIRES_IN};
pub use bearer::Bearer;
pub use cache::{Lease, TokenCache};
pub use renew::{send_renewing_once, Source};
