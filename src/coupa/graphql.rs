//! Coupa's GraphQL endpoint (`POST {base}/api/graphql`, coupa-api.md §4.5): what ConductorOne's
//! connector reads through, and the only documented way to list roles.
//!
//! A query is `{"query": "query { <collection>(query: \"<REST-style filter>\") { <fields> } }"}`,
//! with no variables. Coupa pages it like REST (50 rows, id ascending), but sends no page size or
//! total and takes none, so [`list_keyset`] asks `id[gt]=<last id>` until a page comes back empty
//! (a short page is not taken as the end: the page size is Coupa's, not ours). The pages go one
//! after the other, each under the shared rate limiter and through the HTTP layer's retries, with
//! 401 → renew once, as the REST listings.
//!
//! GraphQL answers HTTP 200 even when the query failed, with the reasons in `errors`, so every
//! answer is checked for `errors` before its `data` is read.
//!
//! The query text is built from constants and numbers; the one string in it, the filter, is
//! written as a GraphQL string literal by [`string_literal`], so no value can end the literal
//! and add to the query, and names are checked against GraphQL's name grammar.

use serde_json::Value;
use url::Url;

use super::client::{Call, Tenant};
use super::domain::endpoint;
use super::error::{for_message, CoupaError};
use super::model::{decode_page, Row};

/// A collection read through GraphQL.
pub(crate) trait Collection: Row {
    /// The query field: `roles`, `userGroups`, `users`.
    const FIELD: &'static str;
    /// The scope the collection needs.
    const SCOPE: &'static str;
}

/// A GraphQL string literal holding `text` exactly. JSON's string syntax is a subset of
/// GraphQL's (the same escapes: `\"`, `\\`, `\n`, `\u00XX`…), so a JSON encoder writes it.
pub(crate) fn string_literal(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Whether `name` is a GraphQL name (`/[_A-Za-z][_0-9A-Za-z]*/`): the only words of a query that
/// are not literals.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `query { <field>(query: "<filter>") { <selection> } }`. `selection` is GraphQL selection text
/// made of names and balanced braces (`id name users { id }`); anything else is `None` (a
/// programming error, reported as such).
pub(crate) fn query_text(field: &str, filter: &str, selection: &str) -> Option<String> {
    let mut depth: u32 = 0;
    let words_ok = selection.split_whitespace().all(|w| match w {
        "{" => {
            depth = depth.saturating_add(1);
            true
        }
        "}" => depth.checked_sub(1).map(|d| depth = d).is_some(),
        _ => is_name(w),
    }) && depth == 0;
    (is_name(field) && words_ok).then(|| {
        format!(
            "query {{ {field}(query: {}) {{ {selection} }} }}",
            string_literal(filter)
        )
    })
}

/// The filter of the page after `after`, followed by `filters` (`type[blank]=true`…).
fn page_filter(after: Option<u64>, filters: &str) -> String {
    match (after, filters.is_empty()) {
        (None, _) => filters.to_owned(),
        (Some(id), true) => format!("id[gt]={id}"),
        (Some(id), false) => format!("id[gt]={id}&{filters}"),
    }
}

/// The `POST /api/graphql` of one page.
fn page_call(base: &Url, field: &str, filter: &str, selection: &str) -> Result<Call, String> {
    let text = query_text(field, filter, selection)
        .ok_or_else(|| format!("the GraphQL query for `{field}` is not well formed"))?;
    let body = serde_json::json!({ "query": text })
        .to_string()
        .into_bytes();
    Ok(Call::Post(endpoint(base, &["api", "graphql"]), body))
}

/// What a GraphQL answer says: `data.<field>` as an array, or why not. `Err(Some(messages))`
/// when the answer has `errors` (joined and cut to 300 characters like a REST error's message;
/// [`Tenant::call_json`] has scrubbed them); `Err(None)` when it has no such array. A
/// `data.<field>` of `null` without `errors` is an empty page, the last: GraphQL's way of saying
/// a list has nothing.
pub(crate) fn rows_of(answer: &Value, field: &str) -> Result<Value, Option<String>> {
    if let Some(errors) = answer.get("errors").and_then(Value::as_array) {
        if !errors.is_empty() {
            let messages: Vec<String> = errors
                .iter()
                .map(|e| match e.get("message").and_then(Value::as_str) {
                    Some(m) => m.to_owned(),
                    None => e.to_string(),
                })
                .collect();
            return Err(Some(for_message(&messages.join("; "), &[])));
        }
    }
    match answer.get("data").and_then(|d| d.get(field)) {
        Some(rows @ Value::Array(_)) => Ok(rows.clone()),
        Some(Value::Null) => Ok(Value::Array(Vec::new())),
        _ => Err(None),
    }
}

/// Whether a 2xx body is an answer to report: GraphQL `errors`, or a page of `T` (the HTTP layer
/// asks once more for one that is neither: garbled, cut short, the wrong shape).
fn page_is_usable<T: Collection>(body: &[u8]) -> bool {
    let Ok(answer) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    match rows_of(&answer, T::FIELD) {
        Ok(rows) => decode_page::<T>(rows).is_ok(),
        Err(errors) => errors.is_some(),
    }
}

/// One page of `T` after `after`, with `selection` and `filters`.
pub(crate) async fn fetch_page<T: Collection>(
    tenant: &Tenant,
    after: Option<u64>,
    selection: &str,
    filters: &str,
) -> Result<Vec<T>, CoupaError> {
    let call = page_call(
        tenant.base_url(),
        T::FIELD,
        &page_filter(after, filters),
        selection,
    )
    .map_err(|reason| CoupaError::Decode {
        what: T::WHAT,
        reason,
        request_id: None,
    })?;
    let permit = tenant.limiter().acquire().await;
    let (answer, request_id) = tenant
        .call_json(call, T::WHAT, T::SCOPE, permit, page_is_usable::<T>)
        .await?;
    let rows = match rows_of(&answer, T::FIELD) {
        Ok(rows) => rows,
        Err(Some(message)) => {
            return Err(CoupaError::Graphql {
                what: T::WHAT,
                message,
                request_id,
            })
        }
        Err(None) => {
            return Err(CoupaError::Decode {
                what: T::WHAT,
                reason: format!("the GraphQL answer has no `data.{}` list", T::FIELD),
                request_id,
            })
        }
    };
    decode_page(rows).map_err(|e| match e {
        CoupaError::Decode { what, reason, .. } => CoupaError::Decode {
            what,
            reason,
            request_id,
        },
        other => other,
    })
}

/// Every row of `T`: keyset pages (`id[gt]=<last id>`) until one comes back empty, sorted by id,
/// each id once. A page whose ids do not go past the last one means the server ignores `id[gt]`,
/// and going on would loop forever, so that is an error.
pub(crate) async fn list_keyset<T: Collection>(
    tenant: &Tenant,
    selection: &str,
    filters: &str,
) -> Result<Vec<T>, CoupaError> {
    tenant.token(&[T::SCOPE]).await?;
    let mut rows = std::collections::BTreeMap::new();
    let mut after = None;
    loop {
        let page: Vec<T> = fetch_page(tenant, after, selection, filters).await?;
        let Some(last) = page.iter().map(Row::id).max() else {
            return Ok(rows.into_values().collect());
        };
        if after.is_some_and(|a| last <= a) {
            return Err(CoupaError::Decode {
                what: T::WHAT,
                reason: "a page after id[gt] repeats ids already listed; the server seems to ignore the `id[gt]` filter".into(),
                request_id: None,
            });
        }
        rows.extend(page.into_iter().map(|r| (r.id(), r)));
        after = Some(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_text_is_built_safely() {
        assert_eq!(
            query_text("roles", "id[gt]=12", "id name").unwrap(),
            r#"query { roles(query: "id[gt]=12") { id name } }"#
        );
        // A filter cannot close the literal and add to the query.
        let hostile = r#"x") { id } evil: users(query: "\"#;
        let text = query_text("roles", hostile, "id").unwrap();
        let lit = string_literal(hostile);
        assert_eq!(text, format!("query {{ roles(query: {lit}) {{ id }} }}"));
        let back: String = serde_json::from_str(&lit).unwrap();
        assert_eq!(back, hostile, "the literal holds the text exactly");
        assert!(
            string_literal("a\nb\u{1}").contains("\\n")
                && string_literal("\u{1}").contains("\\u0001")
        );
        // Names are checked.
        assert!(query_text("roles) { x } y(", "", "id").is_none());
        assert!(query_text("roles", "", "id } mutation {").is_none());
        assert!(query_text("roles", "", "id users { id").is_none());
        assert!(query_text("userGroups", "", "id users { id }").is_some());
    }

    #[test]
    fn page_filters() {
        assert_eq!(page_filter(None, ""), "");
        assert_eq!(page_filter(Some(7), ""), "id[gt]=7");
        assert_eq!(page_filter(None, "type[blank]=true"), "type[blank]=true");
        assert_eq!(
            page_filter(Some(7), "type[blank]=true"),
            "id[gt]=7&type[blank]=true"
        );
    }

    #[test]
    fn errors_are_read_even_beside_data() {
        let ok = json!({"data": {"roles": [{"id": 2}]}});
        assert_eq!(rows_of(&ok, "roles").unwrap(), json!([{"id": 2}]));
        let failed = json!({"data": null, "errors": [{"message": "Field 'x' doesn't exist on type 'Role'"}, {"locations": []}]});
        assert_eq!(
            rows_of(&failed, "roles").unwrap_err().unwrap(),
            r#"Field 'x' doesn't exist on type 'Role'; {"locations":[]}"#
        );
        let both = json!({"data": {"roles": []}, "errors": [{"message": "partial"}]});
        assert_eq!(rows_of(&both, "roles").unwrap_err().unwrap(), "partial");
        assert_eq!(rows_of(&json!({"data": {}}), "roles"), Err(None));
        assert_eq!(rows_of(&json!({"data": null}), "roles"), Err(None));
        assert_eq!(
            rows_of(&json!({"data": {"roles": null}}), "roles").unwrap(),
            json!([]),
            "a null list without errors is an empty page"
        );
        let long = json!({"errors": [{"message": format!("bad\n  {}", "y".repeat(900))}]});
        let message = rows_of(&long, "roles").unwrap_err().unwrap();
        assert!(message.starts_with("bad yyy"), "{message}");
        assert!(message.chars().count() <= 300, "capped like REST messages");
        assert_eq!(
            rows_of(&json!({"errors": [], "data": {"roles": {}}}), "roles"),
            Err(None)
        );
    }
}
