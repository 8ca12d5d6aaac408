//! What every Coupa data source has, written once: the Coupa connection and `id` in its schema,
//! `validate` (the connection's checks, then its own), the [`Shared`] client handle, and the read
//! from Coupa with failures reported on the attribute that must change.
//!
//! A data source implements [`Listing`] with only what is its own (its arguments, its rows, its
//! listing); [`CoupaDataSource`] makes it a Terraform data source.

use std::future::Future;
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::schema::{Attribute, AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use super::common::{compile_regex, Named};
use crate::clients::Shared;
use crate::coupa::{CoupaError, Tenant};
use crate::coupa_connection::{self as connection, check_domain, Blame, Connection};
use crate::tf::schema as s;

/// What one Coupa data source has of its own.
#[async_trait]
pub trait Listing: Send + Sync + 'static {
    /// Its state, declared with [`state!`]; keep identical to [`Listing::SCHEMA`].
    type State: Connected + Serialize + DeserializeOwned + Send + Sync;

    const SCHEMA: fn() -> Schema;

    /// Offline checks of its own arguments, after the connection's.
    fn check(_diags: &mut Diagnostics, _state: &Self::State) {}

    /// Read `config` from Coupa: the state with its `id` and rows.
    async fn read(
        diags: &mut Diagnostics,
        coupa: CoupaReader<'_>,
        config: &Self::State,
    ) -> Option<Self::State>;
}

/// A state with a Coupa connection.
pub trait Connected {
    fn connection(&self) -> Connection<'_>;
}

/// Declares the state of a data source: `id` and the Coupa connection, which every data source
/// has, then the fields given, which are its own; and its [`Connected`]. The struct derives no
/// `Debug`: it holds the client secret.
macro_rules! state {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
        pub struct $name {
            pub id: tf_provider::value::Value<String>,
            pub coupa_domain: tf_provider::value::Value<String>,
            pub client_id: tf_provider::value::Value<String>,
            pub client_secret: tf_provider::value::Value<String>,
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl $crate::data_sources::scaffold::Connected for $name {
            fn connection(&self) -> $crate::coupa_connection::Connection<'_> {
                $crate::coupa_connection::Connection::new(
                    &self.coupa_domain,
                    &self.client_id,
                    &self.client_secret,
                )
            }
        }
    };
}
pub(crate) use state;

/// The attributes every Coupa data source has: where Coupa is, the OAuth2 client that needs
/// `scope`, and the computed `id`.
pub fn attributes(scope: &str) -> Vec<(&'static str, Attribute)> {
    let mut attributes = Vec::from(connection::data_source_attributes(scope));
    attributes.push((
        "id",
        s::computed(
            AttributeType::String,
            "Identifier of this listing: the Coupa host and the collection.",
        ),
    ));
    attributes
}

/// The input attributes of the listings of named things (groups, roles): the connection, and
/// `name_regex`.
pub fn named_attributes(scope: &str) -> Vec<(&'static str, Attribute)> {
    let mut attributes = attributes(scope);
    attributes.push(("name_regex", s::optional(AttributeType::String, "Keep only entries whose name matches this regular expression ([Rust `regex` syntax](https://docs.rs/regex/latest/regex/#syntax), unanchored: use `^…$` for a whole-name match). Default: unset, every entry.")));
    attributes
}

/// The Terraform data source of a [`Listing`].
pub struct CoupaDataSource<L> {
    shared: Shared,
    listing: PhantomData<fn() -> L>,
}

impl<L> CoupaDataSource<L> {
    pub fn new(shared: Shared) -> Self {
        CoupaDataSource {
            shared,
            listing: PhantomData,
        }
    }
}

#[async_trait]
impl<L: Listing> DataSource for CoupaDataSource<L> {
    type State<'a> = L::State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some((L::SCHEMA)())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, c: L::State) -> Option<()> {
        c.connection().check(diags);
        L::check(diags, &c);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        c: L::State,
        _meta: ValueEmpty,
    ) -> Option<L::State> {
        let coupa = CoupaReader {
            shared: &self.shared,
            connection: c.connection(),
        };
        L::read(diags, coupa, &c).await
    }
}

/// Reads from the Coupa tenant a data source's connection names.
pub struct CoupaReader<'a> {
    shared: &'a Shared,
    connection: Connection<'a>,
}

impl CoupaReader<'_> {
    /// What `fetch` returns, failures reported on the attribute that must change, and the `id`
    /// of the data source (`<host>/<collection>`). `what` names the rows in errors.
    pub async fn read<T, F, Fut>(
        self,
        diags: &mut Diagnostics,
        (what, collection): (&str, &str),
        fetch: F,
    ) -> Option<(T, String)>
    where
        F: FnOnce(Tenant) -> Fut,
        Fut: Future<Output = Result<T, CoupaError>>,
    {
        check_domain(diags, self.connection.domain);
        if !diags.errors.is_empty() {
            return None;
        }
        let credentials = self.connection.credentials()?;
        let clients = self.shared.get(diags)?;
        let tenant = clients.coupa.tenant(&credentials);
        let host = credentials.domain().host();
        match fetch(tenant).await {
            Ok(found) => Some((found, format!("{host}/{collection}"))),
            Err(e) => {
                connection::report_list_error(diags, &Blame::LISTING, &host, what, &e);
                None
            }
        }
    }

    /// As [`CoupaReader::read`], keeping only the rows whose name matches `name_regex`.
    pub async fn list<T, F, Fut>(
        self,
        diags: &mut Diagnostics,
        name_regex: &Value<String>,
        what: (&str, &str),
        fetch: F,
    ) -> Option<(Vec<T>, String)>
    where
        T: Named,
        F: FnOnce(Tenant) -> Fut,
        Fut: Future<Output = Result<Vec<T>, CoupaError>>,
    {
        let regex = compile_regex(diags, name_regex)?;
        let (rows, id) = self.read(diags, what, fetch).await?;
        let rows = rows
            .into_iter()
            .filter(|r| regex.as_ref().is_none_or(|re| re.is_match(r.name())))
            .collect();
        Some((rows, id))
    }
}
