//! Coupa's GraphQL endpoint (reference §4.5): `POST /api/graphql` with `{"query": "…"}`, for the
//! queries ConductorOne's connector and the provider send. Collections `userGroups`, `roles` and
//! `users` take a `query:` string, a REST query string run by the same engine as REST
//! ([`crate::coupa::query`]: a leading `&` tolerated, pages of 50, id ascending); fields are
//! camel-case (`systemRole`), ids JSON numbers; `users { … }` nests in a user group, `roles { … }`
//! and `userGroups { … }` in a user.
//!
//! Answers are always JSON. A query that cannot run is HTTP 200 with
//! `{"data": null, "errors": [{"message": "…"}]}`, worded as graphql-ruby words them. Mutations
//! are refused. Whether Coupa serves a role's `omnipotent` and `systemRole` through GraphQL is not
//! documented: by default it does; the knob `graphql_role_flags = false` makes them unknown fields.

use crate::control::ApiReply;
use crate::coupa::query::{self, Record, Val};
use crate::coupa::reply::{errors_body, json_doc};
use crate::coupa::seed::{Group, Role, Tenant, User};
use crate::coupa::Coupa;
use crate::server::Req;
use crate::util::{self, coupa_datetime};
use hyper::Method;
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;

/// One selected field, with its sub-selection.
#[derive(Debug, PartialEq)]
pub struct Selection {
    pub name: String,
    pub args: Vec<(String, String)>,
    pub fields: Vec<Selection>,
}

#[derive(Debug, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Punct(char),
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() || c == ',' => {
                chars.next();
            }
            '#' => while chars.next().is_some_and(|c| c != '\n') {},
            '{' | '}' | '(' | ')' | ':' => {
                out.push(Tok::Punct(c));
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("Unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('"') => s.push('"'),
                            Some('\\') => s.push('\\'),
                            Some('/') => s.push('/'),
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some('b') => s.push('\u{8}'),
                            Some('f') => s.push('\u{c}'),
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                let code = u32::from_str_radix(&hex, 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .ok_or(format!("Bad unicode escape \\u{hex}"))?;
                                s.push(code);
                            }
                            other => return Err(format!("Bad escape \\{other:?}")),
                        },
                        Some(c) => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '_' || c.is_ascii_alphanumeric() {
                        s.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Name(s));
            }
            other => return Err(format!("Parse error on {other:?}")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<&Tok> {
        self.at += 1;
        self.toks.get(self.at - 1)
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if *p == c => Ok(()),
            other => Err(format!("Parse error on {other:?}, expected {c:?}")),
        }
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, String> {
        self.expect('{')?;
        let mut out = Vec::new();
        loop {
            match self.next() {
                Some(Tok::Punct('}')) => break,
                Some(Tok::Name(n)) => {
                    let name = n.clone();
                    let mut args = Vec::new();
                    if self.peek() == Some(&Tok::Punct('(')) {
                        self.next();
                        loop {
                            match self.next() {
                                Some(Tok::Punct(')')) => break,
                                Some(Tok::Name(a)) => {
                                    let a = a.clone();
                                    self.expect(':')?;
                                    match self.next() {
                                        Some(Tok::Str(v)) => args.push((a, v.clone())),
                                        other => {
                                            return Err(format!(
                                                "Argument '{a}' must be a string, got {other:?}"
                                            ))
                                        }
                                    }
                                }
                                other => return Err(format!("Parse error on {other:?}")),
                            }
                        }
                    }
                    let fields = if self.peek() == Some(&Tok::Punct('{')) {
                        self.selection_set()?
                    } else {
                        Vec::new()
                    };
                    out.push(Selection { name, args, fields });
                }
                other => return Err(format!("Parse error on {other:?}")),
            }
        }
        if out.is_empty() {
            return Err("Selection set is empty".into());
        }
        Ok(out)
    }
}

/// A query document: `[query [Name]] { … }`. Mutations are not supported (reference §4.5).
pub fn parse(text: &str) -> Result<Vec<Selection>, String> {
    let mut p = Parser {
        toks: lex(text)?,
        at: 0,
    };
    match p.peek() {
        Some(Tok::Name(op)) if op == "query" => {
            p.next();
            if let Some(Tok::Name(_)) = p.peek() {
                p.next();
            }
        }
        Some(Tok::Name(op)) if op == "mutation" => return Err("Mutations are not supported".into()),
        _ => {}
    }
    let set = p.selection_set()?;
    if p.peek().is_some() {
        return Err("Only one operation per document is supported".into());
    }
    Ok(set)
}

/// The scope a collection needs, or `None` for a field `Query` does not have.
pub fn scope_of(collection: &str) -> Option<&'static str> {
    match collection {
        "userGroups" => Some("core.user_group.read"),
        "roles" => Some("core.common.read"),
        "users" => Some("core.user.read"),
        _ => None,
    }
}

/// `systemRole` → `system_role`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn val_json(v: Val) -> Value {
    match v {
        Val::Int(i) => json!(i),
        Val::Bool(b) => json!(b),
        Val::Time(t) => json!(coupa_datetime(t)),
        Val::Str(s) => json!(s),
    }
}

/// How the endpoint behaves where Coupa's is not documented.
#[derive(Clone, Copy)]
pub struct Knobs {
    pub role_flags: bool,
}

/// The fields of a record type that GraphQL serves, and its associations.
trait Typed: Record {
    const TYPE: &'static str;
    fn scalar(&self, field: &str, _knobs: Knobs) -> Option<Value> {
        let attr = snake(field);
        if !Self::ATTRS.contains(&attr.as_str()) {
            return None;
        }
        self.attr(&attr).map(val_json)
    }
    /// An association with its sub-selection rendered, or `None` when the type has none by
    /// that name.
    fn association(
        &self,
        _field: &str,
        _sub: &[Selection],
        _t: &Tenant,
        _k: Knobs,
    ) -> Option<Result<Value, String>> {
        None
    }
}

fn render_all<'a, R: Typed + 'a>(
    rows: impl Iterator<Item = &'a R>,
    sub: &[Selection],
    t: &Tenant,
    k: Knobs,
) -> Result<Value, String> {
    rows.map(|r| render(r, sub, t, k))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

impl Typed for Group {
    const TYPE: &'static str = "UserGroup";
    fn association(
        &self,
        field: &str,
        sub: &[Selection],
        t: &Tenant,
        k: Knobs,
    ) -> Option<Result<Value, String>> {
        (field == "users").then(|| render_all(self.members(t).into_iter(), sub, t, k))
    }
}

impl Typed for Role {
    const TYPE: &'static str = "Role";
    fn scalar(&self, field: &str, knobs: Knobs) -> Option<Value> {
        if !knobs.role_flags && matches!(field, "omnipotent" | "systemRole") {
            return None;
        }
        let attr = snake(field);
        Self::ATTRS
            .contains(&attr.as_str())
            .then(|| self.attr(&attr).map(val_json))?
    }
}

impl Typed for User {
    const TYPE: &'static str = "User";
    fn association(
        &self,
        field: &str,
        sub: &[Selection],
        t: &Tenant,
        k: Knobs,
    ) -> Option<Result<Value, String>> {
        match field {
            "roles" => Some(render_all(
                self.roles.iter().filter_map(|&i| t.roles.get(i)),
                sub,
                t,
                k,
            )),
            "userGroups" => Some(render_all(
                self.user_groups
                    .iter()
                    .filter_map(|&i| t.user_groups.get(i)),
                sub,
                t,
                k,
            )),
            _ => None,
        }
    }
}

fn render<R: Typed>(r: &R, fields: &[Selection], t: &Tenant, k: Knobs) -> Result<Value, String> {
    let mut out = Map::new();
    for f in fields {
        let value = if f.fields.is_empty() {
            r.scalar(&f.name, k)
        } else {
            r.association(&f.name, &f.fields, t, k).transpose()?
        };
        let Some(value) = value else {
            return Err(format!(
                "Field '{}' doesn't exist on type '{}'",
                f.name,
                R::TYPE
            ));
        };
        out.insert(f.name.clone(), value);
    }
    Ok(Value::Object(out))
}

fn collection<R: Typed>(
    records: &[R],
    sel: &Selection,
    t: &Tenant,
    k: Knobs,
) -> Result<Value, String> {
    let mut query = String::new();
    for (name, value) in &sel.args {
        match name.as_str() {
            "query" => query = value.trim_start_matches('&').to_owned(),
            other => {
                return Err(format!(
                    "Field '{}' doesn't accept argument '{other}'",
                    sel.name
                ))
            }
        }
    }
    if sel.fields.is_empty() {
        return Err(format!(
            "Field must have selections (field '{}' returns [{}!]!)",
            sel.name,
            R::TYPE
        ));
    }
    let pairs = util::parse_form(query.as_bytes());
    let q = query::parse::<R>(&pairs)?;
    let hits = query::select(records, &q)?;
    hits.into_iter()
        .map(|r| render(r, &sel.fields, t, k))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// Runs a parsed query: `Ok(data)` or `Err(message)`.
pub fn run(set: &[Selection], t: &Tenant, k: Knobs) -> Result<Value, String> {
    let mut data = Map::new();
    for sel in set {
        let rows = match sel.name.as_str() {
            "userGroups" => collection(&t.user_groups, sel, t, k)?,
            "roles" => collection(&t.roles, sel, t, k)?,
            "users" => collection(&t.user_records, sel, t, k)?,
            other => return Err(format!("Field '{other}' doesn't exist on type 'Query'")),
        };
        data.insert(sel.name.clone(), rows);
    }
    Ok(Value::Object(data))
}

impl Coupa {
    /// `POST /api/graphql`: one query, answered as Coupa's GraphQL answers (always JSON).
    pub(crate) fn graphql(&self, req: &Req) -> ApiReply {
        let scopes = match self.authorize(req) {
            Ok(s) => s,
            Err(r) => return *r,
        };
        if req.method != Method::POST {
            return ApiReply::new(errors_body(405, "Method Not Allowed"))
                .note("GraphQL needs POST");
        }
        let text = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|v| v.get("query").and_then(Value::as_str).map(str::to_owned));
        let logged = vec![("graphql".to_string(), json!(text))];
        let errors = |message: &str| {
            let mut r = ApiReply::new(json_doc(
                200,
                &json!({"data": null, "errors": [{"message": message}]}).to_string(),
            ))
            .note(format!("GraphQL error: {message}"));
            r.extra = logged.clone();
            r
        };
        let Some(text) = text else {
            return errors("No query string was present");
        };
        let set = match parse(&text) {
            Ok(s) => s,
            Err(e) => return errors(&e),
        };
        for sel in &set {
            if let Some(needed) = scope_of(&sel.name) {
                if !scopes.iter().any(|s| s == needed) {
                    let mut r = ApiReply::new(errors_body(
                        403,
                        &format!("Access denied: token lacks scope {needed}"),
                    ))
                    .note(format!("missing scope {needed}"));
                    r.extra = logged;
                    return r;
                }
            }
        }
        let tenant = self.tenant.read().unwrap().clone();
        let knobs = Knobs {
            role_flags: self.graphql_role_flags.load(Ordering::SeqCst),
        };
        match run(&set, &tenant, knobs) {
            Ok(data) => {
                let n: usize = data
                    .as_object()
                    .map(|o| o.values().filter_map(Value::as_array).map(Vec::len).sum())
                    .unwrap_or(0);
                let mut r = ApiReply::new(json_doc(200, &json!({ "data": data }).to_string()))
                    .note(format!("{n} items"));
                r.extra = logged;
                r
            }
            Err(e) => errors(&e),
        }
    }
}

#[cfg(test)]
mod tests;
