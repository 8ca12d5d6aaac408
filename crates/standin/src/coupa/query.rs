//! Coupa's REST query language for collections (reference §4.1): `limit`/`offset` paging,
//! `order_by`/`dir`, `<attr>[<op>]=value` filters, `return_object` and `fields` projections.
//!
//! Attribute names are accepted with `_` or `-` (`updated_at[gt]`, `updated-at[gt]`); output keys
//! are hyphenated. String comparisons ignore case, as Coupa's MySQL collation does.

use crate::coupa::doc::Doc;
use crate::coupa::seed::{Group, Role, Tenant, User};
use crate::util::{coupa_datetime, parse_iso8601};
use serde_json::Value;

/// The most Coupa returns per page, and the default.
pub const MAX_LIMIT: usize = 50;

/// A typed attribute value, for filtering and sorting.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub enum Val {
    Int(i64),
    Bool(bool),
    /// Epoch seconds.
    Time(i64),
    Str(Option<String>),
}

/// What both collections offer the query engine.
pub trait Record {
    const ATTRS: &'static [&'static str];
    fn id(&self) -> i64;
    fn attr(&self, name: &str) -> Option<Val>;
    /// The full object, associations embedded (`shallow` keeps only their ids).
    fn doc(&self, tenant: &Tenant, shallow: bool) -> Doc;
}

impl Record for Group {
    const ATTRS: &'static [&'static str] = &[
        "id",
        "name",
        "description",
        "active",
        "can_approve",
        "open",
        "mention_name",
        "type",
        "created_at",
        "updated_at",
    ];

    fn id(&self) -> i64 {
        self.id
    }

    fn attr(&self, name: &str) -> Option<Val> {
        Some(match name {
            "id" => Val::Int(self.id),
            "name" => Val::Str(Some(self.name.clone())),
            "description" => Val::Str(self.description.clone()),
            "active" => Val::Bool(self.active),
            "can_approve" => Val::Bool(self.can_approve),
            "open" => Val::Bool(self.open),
            "mention_name" => Val::Str(Some(self.mention_name.clone())),
            "type" => Val::Str(self.kind.clone()),
            "created_at" => Val::Time(self.created_at),
            "updated_at" => Val::Time(self.updated_at),
            _ => return None,
        })
    }

    fn doc(&self, t: &Tenant, shallow: bool) -> Doc {
        let user = |i: usize| person(&t.users[i], shallow);
        Doc::obj(vec![
            ("id", Doc::Int(self.id)),
            ("created-at", Doc::Time(coupa_datetime(self.created_at))),
            ("updated-at", Doc::Time(coupa_datetime(self.updated_at))),
            ("name", Doc::Str(self.name.clone())),
            ("description", Doc::opt_str(&self.description)),
            ("active", Doc::Bool(self.active)),
            ("can-approve", Doc::Bool(self.can_approve)),
            ("open", Doc::Bool(self.open)),
            ("mention-name", Doc::Str(self.mention_name.clone())),
            ("type", Doc::opt_str(&self.kind)),
            ("avatar-thumb-url", Doc::Null),
            ("owner", Doc::Null),
            ("created-by", user(self.created_by)),
            ("updated-by", self.updated_by.map_or(Doc::Null, user)),
            ("content-groups", Doc::Arr(vec![])),
            (
                "users",
                Doc::Arr(
                    self.members(t)
                        .into_iter()
                        .map(|u| person(u, shallow))
                        .collect(),
                ),
            ),
        ])
    }
}

impl Record for Role {
    const ATTRS: &'static [&'static str] = &[
        "id",
        "name",
        "description",
        "omnipotent",
        "system_role",
        "created_at",
        "updated_at",
    ];

    fn id(&self) -> i64 {
        self.id
    }

    fn attr(&self, name: &str) -> Option<Val> {
        Some(match name {
            "id" => Val::Int(self.id),
            "name" => Val::Str(Some(self.name.clone())),
            "description" => Val::Str(self.description.clone()),
            "omnipotent" => Val::Bool(self.omnipotent),
            "system_role" => Val::Bool(self.system_role),
            "created_at" => Val::Time(self.created_at),
            "updated_at" => Val::Time(self.updated_at),
            _ => return None,
        })
    }

    fn doc(&self, t: &Tenant, shallow: bool) -> Doc {
        let user = |i: Option<usize>| i.map_or(Doc::Null, |i| person(&t.users[i], shallow));
        Doc::obj(vec![
            ("id", Doc::Int(self.id)),
            ("created-at", Doc::Time(coupa_datetime(self.created_at))),
            ("updated-at", Doc::Time(coupa_datetime(self.updated_at))),
            ("name", Doc::Str(self.name.clone())),
            ("description", Doc::opt_str(&self.description)),
            ("omnipotent", Doc::Bool(self.omnipotent)),
            ("system-role", Doc::Bool(self.system_role)),
            ("created-by", user(self.created_by)),
            ("updated-by", user(self.updated_by)),
        ])
    }
}

/// A user embedded in another record: only its `id` when `shallow`, else the whole user.
fn person(u: &User, shallow: bool) -> Doc {
    if shallow {
        Doc::obj(vec![("id", Doc::Int(u.id))])
    } else {
        u.doc()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Eq,
    NotEq,
    Gt,
    Lt,
    GtOrEq,
    LtOrEq,
    Contains,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    Blank,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub attr: String,
    pub op: Op,
    pub value: String,
}

/// One entry of a `fields=[…]` projection.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Name(String),
    /// `{"users": ["id", "login"]}`: fields of an association.
    Assoc(String, Vec<Field>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReturnObject {
    Full,
    Shallow,
    Limited,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub limit: usize,
    pub offset: usize,
    pub order_by: String,
    pub desc: bool,
    pub filters: Vec<Filter>,
    pub return_object: ReturnObject,
    pub fields: Option<Vec<Field>>,
}

/// `updated-at` → `updated_at`.
fn norm(name: &str) -> String {
    name.trim().replace('-', "_")
}

/// Parses a raw query string for a collection of `R`. Errors are the 400 message.
pub fn parse<R: Record>(pairs: &[(String, String)]) -> Result<Query, String> {
    let mut q = Query {
        limit: MAX_LIMIT,
        offset: 0,
        order_by: "id".into(),
        desc: false,
        filters: Vec::new(),
        return_object: ReturnObject::Full,
        fields: None,
    };
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => {
                if let Ok(n) = value.trim().parse::<i64>() {
                    q.limit = n.clamp(1, MAX_LIMIT as i64) as usize;
                }
            }
            "offset" => q.offset = value.trim().parse::<i64>().unwrap_or(0).max(0) as usize,
            "order_by" => {
                let attr = norm(value);
                if !R::ATTRS.contains(&attr.as_str()) {
                    return Err(format!("Unknown attribute {value} for order_by"));
                }
                q.order_by = attr;
            }
            "dir" => q.desc = value.trim().eq_ignore_ascii_case("desc"),
            "return_object" => {
                q.return_object = match value.as_str() {
                    "limited" => ReturnObject::Limited,
                    "shallow" => ReturnObject::Shallow,
                    _ => ReturnObject::Full,
                }
            }
            "fields" => q.fields = Some(parse_fields(value)?),
            "" => {}
            _ => q.filters.push(parse_filter::<R>(key, value)?),
        }
    }
    Ok(q)
}

fn parse_filter<R: Record>(key: &str, value: &str) -> Result<Filter, String> {
    let (attr, op) = match key.split_once('[') {
        None => (key, "eq"),
        Some((a, rest)) => {
            let op = rest
                .strip_suffix(']')
                .ok_or(format!("Malformed parameter {key}"))?;
            (a, op)
        }
    };
    let attr = norm(attr);
    if !R::ATTRS.contains(&attr.as_str()) {
        return Err(format!("Unknown attribute {attr}"));
    }
    let op = match op {
        "eq" => Op::Eq,
        "not_eq" => Op::NotEq,
        "gt" => Op::Gt,
        "lt" => Op::Lt,
        "gt_or_eq" => Op::GtOrEq,
        "lt_or_eq" => Op::LtOrEq,
        "contains" => Op::Contains,
        "starts_with" => Op::StartsWith,
        "ends_with" => Op::EndsWith,
        "in" => Op::In,
        "not_in" => Op::NotIn,
        "blank" => Op::Blank,
        other => return Err(format!("Unknown operator {other} for attribute {attr}")),
    };
    Ok(Filter {
        attr,
        op,
        value: value.to_string(),
    })
}

/// `fields=["id","name",{"users":["id","login"]}]`.
pub fn parse_fields(raw: &str) -> Result<Vec<Field>, String> {
    fn list(v: &Value) -> Result<Vec<Field>, String> {
        let Value::Array(items) = v else {
            return Err("fields must be a JSON array".into());
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::String(s) => out.push(Field::Name(norm(s))),
                Value::Object(o) => {
                    for (k, sub) in o {
                        out.push(Field::Assoc(norm(k), list(sub)?));
                    }
                }
                _ => return Err("fields entries must be strings or objects".into()),
            }
        }
        Ok(out)
    }
    let v: Value =
        serde_json::from_str(raw).map_err(|e| format!("Invalid fields parameter: {e}"))?;
    list(&v)
}

/// Parses a filter value for the type of `current`.
fn typed(current: &Val, raw: &str) -> Result<Val, String> {
    let raw = raw.trim();
    Ok(match current {
        Val::Int(_) => Val::Int(
            raw.parse()
                .map_err(|_| format!("Invalid integer {raw:?}"))?,
        ),
        Val::Bool(_) => Val::Bool(parse_bool(raw)?),
        Val::Time(_) => Val::Time(parse_iso8601(raw).ok_or(format!("Invalid datetime {raw:?}"))?),
        Val::Str(_) => Val::Str(Some(raw.to_lowercase())),
    })
}

fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" => Ok(true),
        "false" | "f" | "0" | "no" => Ok(false),
        _ => Err(format!("Invalid boolean {raw:?}")),
    }
}

/// Lowercases strings so comparisons ignore case.
fn folded(v: Val) -> Val {
    match v {
        Val::Str(s) => Val::Str(s.map(|s| s.to_lowercase())),
        other => other,
    }
}

/// Whether `r` passes `f`. SQL semantics: a NULL matches nothing but `blank`.
pub fn matches<R: Record>(r: &R, f: &Filter) -> Result<bool, String> {
    let cur = folded(
        r.attr(&f.attr)
            .ok_or(format!("Unknown attribute {}", f.attr))?,
    );
    if f.op == Op::Blank {
        let blank =
            matches!(&cur, Val::Str(None)) || matches!(&cur, Val::Str(Some(s)) if s.is_empty());
        return Ok(blank == parse_bool(&f.value)?);
    }
    if cur == Val::Str(None) {
        return Ok(false);
    }
    if matches!(f.op, Op::In | Op::NotIn) {
        let mut found = false;
        for part in f.value.split(',') {
            found |= typed(&cur, part)? == cur;
        }
        return Ok(found == (f.op == Op::In));
    }
    let want = typed(&cur, &f.value)?;
    let text = |v: &Val| match v {
        Val::Str(Some(s)) => s.clone(),
        _ => String::new(),
    };
    Ok(match f.op {
        Op::Eq => cur == want,
        Op::NotEq => cur != want,
        Op::Gt => cur > want,
        Op::Lt => cur < want,
        Op::GtOrEq => cur >= want,
        Op::LtOrEq => cur <= want,
        Op::Contains => text(&cur).contains(&text(&want)),
        Op::StartsWith => text(&cur).starts_with(&text(&want)),
        Op::EndsWith => text(&cur).ends_with(&text(&want)),
        Op::In | Op::NotIn | Op::Blank => unreachable!("handled above"),
    })
}

/// Runs `q` over `records`: filter, sort (ties by id), then the `offset`/`limit` window.
pub fn select<'a, R: Record>(records: &'a [R], q: &Query) -> Result<Vec<&'a R>, String> {
    let mut hits = Vec::new();
    for r in records {
        let mut ok = true;
        for f in &q.filters {
            if !matches(r, f)? {
                ok = false;
                break;
            }
        }
        if ok {
            hits.push(r);
        }
    }
    hits.sort_by(|a, b| {
        let (x, y) = (
            folded(a.attr(&q.order_by).unwrap()),
            folded(b.attr(&q.order_by).unwrap()),
        );
        let ord = x
            .partial_cmp(&y)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.id().cmp(&b.id()));
        if q.desc {
            ord.reverse()
        } else {
            ord
        }
    });
    Ok(hits.into_iter().skip(q.offset).take(q.limit).collect())
}

/// The document for one record under the query's `return_object` and `fields`.
pub fn render<R: Record>(r: &R, tenant: &Tenant, q: &Query) -> Doc {
    match (q.return_object, &q.fields) {
        (ReturnObject::Limited, _) => Doc::obj(vec![("id", Doc::Int(r.id()))]),
        (ro, Some(fields)) => project(&r.doc(tenant, ro == ReturnObject::Shallow), fields),
        (ro, None) => r.doc(tenant, ro == ReturnObject::Shallow),
    }
}

/// Keeps only the requested keys, in the object's own order. Unknown names and associations
/// are ignored, as Coupa ignores them.
pub fn project(doc: &Doc, fields: &[Field]) -> Doc {
    match doc {
        Doc::Arr(items) => Doc::Arr(items.iter().map(|i| project(i, fields)).collect()),
        Doc::Obj(pairs) => {
            let mut out = Vec::new();
            for (k, v) in pairs {
                let under = k.replace('-', "_");
                for f in fields {
                    match f {
                        Field::Name(n) if *n == under => out.push((k.clone(), v.clone())),
                        Field::Assoc(n, sub) if *n == under => {
                            out.push((k.clone(), project(v, sub)))
                        }
                        _ => continue,
                    }
                    break;
                }
            }
            Doc::Obj(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
