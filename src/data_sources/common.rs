//! What the Coupa data sources share: the credential inputs, their checks, and turning them into
//! a Coupa tenant handle.

use regex::Regex;
use tf_provider::schema::{Attribute, AttributeType};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use crate::clients::Shared;
use crate::coupa::{CoupaDomain, Memberships, Tenant, SCOPE_USERS};
use crate::glue::{check_domain, check_not_blank, coupa_credentials, Blame};
use crate::tf::value::known_str;
use crate::tf::{diag, schema as s};

/// Blame for listing failures: scopes are a property of the OAuth2 client, hence `client_id`.
pub const BLAME: Blame = Blame {
    domain: "coupa_domain",
    secret: "client_secret",
    scopes: "client_id",
    read_only_hint: false,
};

/// The input attributes of the listings of named things (groups, roles): the connection, and
/// `name_regex`.
pub fn input_attributes(scope: &str) -> Vec<(&'static str, Attribute)> {
    let mut attributes = connection_attributes(scope);
    attributes.push(("name_regex", s::optional(AttributeType::String, "Keep only entries whose name matches this regular expression ([Rust `regex` syntax](https://docs.rs/regex/latest/regex/#syntax), unanchored: use `^…$` for a whole-name match). Default: unset, every entry.")));
    attributes
}

/// The attributes every Coupa data source has: where Coupa is, the OAuth2 client that needs
/// `scope`, and the computed `id`.
pub fn connection_attributes(scope: &str) -> Vec<(&'static str, Attribute)> {
    use AttributeType::String as Str;
    vec![
        ("coupa_domain", s::required(Str, "Host of the Coupa instance: `<tenant>.coupahost.com` or `<tenant>.coupacloud.com` (a pasted `https://…` URL is accepted). Requests go to `https://<coupa_domain>`, or to the provider's `coupa_endpoint` when set.")),
        ("client_id", s::required(Str, &format!("Identifier of a Coupa OAuth2 client (grant type *client credentials*) that has the scope `{scope}`."))),
        ("client_secret", s::sensitive(s::required(Str, "Secret of that Coupa OAuth2 client. Used only to get a token from Coupa; never sent to ConductorOne. **Stored in plain text in the Terraform state**, like every data source argument (`sensitive` only hides it in CLI output): use an encrypted backend with restricted access."))),
        ("id", s::computed(Str, "Identifier of this listing: the Coupa host and the collection.")),
    ]
}

/// The inputs of a Coupa data source, borrowed from its state.
pub struct Inputs<'a> {
    pub domain: &'a Value<String>,
    pub client_id: &'a Value<String>,
    pub secret: &'a Value<String>,
    /// [`NO_NAME_REGEX`] for a data source without `name_regex`.
    pub name_regex: &'a Value<String>,
}

/// The `name_regex` of a data source that has none.
pub const NO_NAME_REGEX: &Value<String> = &Value::Null;

/// Offline checks shared by the data sources.
pub fn check_inputs(diags: &mut Diagnostics, i: &Inputs) {
    check_domain(diags, "coupa_domain", i.domain);
    check_not_blank(
        diags,
        "client_id",
        i.client_id,
        "the identifier of a Coupa OAuth2 client",
    );
    check_not_blank(
        diags,
        "client_secret",
        i.secret,
        "the secret of the Coupa OAuth2 client",
    );
    compile_regex(diags, i.name_regex);
}

/// Rows of a listing that have a name, so `name_regex` can filter them.
pub trait Named {
    fn name(&self) -> &str;
}

impl Named for crate::coupa::UserGroup {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for crate::coupa::Role {
    fn name(&self) -> &str {
        &self.name
    }
}

/// The `include_members` argument of the groups and roles listings.
pub fn include_members_attribute(what: &str) -> (&'static str, Attribute) {
    (
        "include_members",
        s::optional(
            AttributeType::Bool,
            &format!("Whether to fill each {what}'s `user_ids` with its members: every person in it (a user whose `type` is blank, whatever its `api-user` or `supplier-user` flag says), active or not (as ConductorOne's grants are), never a record whose `type` is not blank. They come from one more pass over Coupa's users (`GET /api/users`, the same one `conductorone_coupa_users` makes, not one query per {what}), so the OAuth2 client then also needs the scope `{SCOPE_USERS}`. Default: `false`, `user_ids` is empty."),
        ),
    )
}

/// The listed rows with, when asked for, the members of each (from [`Memberships`]).
pub struct WithMembers<T> {
    pub row: T,
    pub user_ids: Vec<u64>,
}

impl<T: Named> Named for WithMembers<T> {
    fn name(&self) -> &str {
        self.row.name()
    }
}

/// `rows`, and when `include` their members from one pass over the users, fetched beside them.
pub async fn with_members<T, F>(
    tenant: &Tenant,
    include: bool,
    rows: F,
    members_of: fn(&Memberships, &T) -> Vec<u64>,
) -> Result<Vec<WithMembers<T>>, crate::coupa::CoupaError>
where
    F: std::future::Future<Output = Result<Vec<T>, crate::coupa::CoupaError>>,
{
    let (rows, members) = if include {
        let (rows, users) = tokio::join!(rows, tenant.users());
        (rows?, Some(Memberships::of(&users?)))
    } else {
        (rows.await?, None)
    };
    Ok(rows
        .into_iter()
        .map(|row| WithMembers {
            user_ids: members
                .as_ref()
                .map(|m| members_of(m, &row))
                .unwrap_or_default(),
            row,
        })
        .collect())
}

/// Coupa user IDs as Terraform strings.
pub fn id_strings(ids: &[u64]) -> Value<Vec<Value<String>>> {
    Value::Value(ids.iter().map(|id| Value::Value(id.to_string())).collect())
}

/// Read a listing: the tenant from the inputs, every row from `fetch`, failures reported on the
/// attribute that must change, and only the rows whose name matches `name_regex`. Returns the
/// rows and the `id` of the data source (`<host>/<collection>`).
pub async fn list<T, F, Fut>(
    diags: &mut Diagnostics,
    shared: &Shared,
    i: &Inputs<'_>,
    (what, collection): (&str, &str),
    fetch: F,
) -> Option<(Vec<T>, String)>
where
    T: Named,
    F: FnOnce(Tenant) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, crate::coupa::CoupaError>>,
{
    let regex = compile_regex(diags, i.name_regex)?;
    let (rows, id) = read(diags, shared, i, (what, collection), fetch).await?;
    let rows = rows
        .into_iter()
        .filter(|r| regex.as_ref().is_none_or(|re| re.is_match(r.name())))
        .collect();
    Some((rows, id))
}

/// Read from Coupa: the tenant from the inputs, what `fetch` returns, failures reported on the
/// attribute that must change. Returns it and the `id` of the data source (`<host>/<collection>`).
pub async fn read<T, F, Fut>(
    diags: &mut Diagnostics,
    shared: &Shared,
    i: &Inputs<'_>,
    (what, collection): (&str, &str),
    fetch: F,
) -> Option<(T, String)>
where
    F: FnOnce(Tenant) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::coupa::CoupaError>>,
{
    let (tenant, domain) = tenant(diags, shared, i)?;
    let host = domain.host();
    match fetch(tenant).await {
        Ok(found) => Some((found, format!("{host}/{collection}"))),
        Err(e) => {
            crate::glue::report_list_error(diags, &BLAME, &host, what, &e);
            None
        }
    }
}

/// The compiled `name_regex`, `Some(None)` when unset, `None` after reporting an error.
pub fn compile_regex(diags: &mut Diagnostics, v: &Value<String>) -> Option<Option<Regex>> {
    compile_regex_of(diags, "name_regex", v)
}

/// The compiled regular expression of attribute `attr`, `Some(None)` when unset, `None` after
/// reporting an error on `attr`.
pub fn compile_regex_of(
    diags: &mut Diagnostics,
    attr: &'static str,
    v: &Value<String>,
) -> Option<Option<Regex>> {
    let Some(text) = known_str(v) else {
        return Some(None);
    };
    match regex::RegexBuilder::new(text).size_limit(1 << 20).build() {
        Ok(r) => Some(Some(r)),
        Err(e) => {
            diag::attr_error(
                diags,
                attr,
                "Invalid Regular Expression",
                match e {
                    regex::Error::CompiledTooBig(limit) => format!("`{attr}` compiles to more than {limit} bytes, the limit. Simplify it: fewer or smaller repetitions (`{{n}}`), or a plain prefix such as `^AP `."),
                    e => format!("`{attr}` is not a valid regular expression. Write it in Rust `regex` syntax (https://docs.rs/regex/latest/regex/#syntax), which has no look-around and no backreferences; escape a literal `(`, `[`, `.` or `\\` with `\\`.\n\n{e}"),
                },
            );
            None
        }
    }
}

/// A handle on the tenant, from inputs that must be known when the data source is read.
fn tenant(diags: &mut Diagnostics, shared: &Shared, i: &Inputs) -> Option<(Tenant, CoupaDomain)> {
    check_domain(diags, "coupa_domain", i.domain);
    if !diags.errors.is_empty() {
        return None;
    }
    let credentials = coupa_credentials(i.domain, i.client_id, i.secret)?;
    let clients = shared.get(diags)?;
    let tenant = clients.coupa.tenant(&credentials);
    Some((tenant, credentials.domain().clone()))
}
