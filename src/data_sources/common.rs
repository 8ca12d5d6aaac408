//! What the Coupa data sources' rows share: `name_regex` filtering, `include_members`, the members of
//! each group or role, and IDs as Terraform strings. (Their connection and the read from Coupa
//! are in [`super::scaffold`].)

use regex::Regex;
use tf_provider::schema::{Attribute, AttributeType};
use tf_provider::value::Value;
use tf_provider::Diagnostics;

use crate::coupa::{Memberships, Tenant, SCOPE_USERS};
use crate::tf::value::known_str;
use crate::tf::{diag, schema as s};

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
