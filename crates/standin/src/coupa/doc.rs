//! An ordered document model for Coupa responses, rendered either as JSON or as Coupa's XML.
//!
//! Coupa answers XML unless the client asks for JSON, with the same content in both. Building one
//! tree and printing it twice keeps the two in step, and keeps keys in Coupa's order (id first),
//! which `serde_json::Value`'s sorted maps would not.

/// A node of a response document. Object keys are already hyphenated.
#[derive(Clone, Debug, PartialEq)]
pub enum Doc {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A datetime string (typed `dateTime` in XML).
    Time(String),
    Arr(Vec<Doc>),
    Obj(Vec<(String, Doc)>),
}

impl Doc {
    pub fn obj(fields: Vec<(&str, Doc)>) -> Doc {
        Doc::Obj(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    pub fn opt_str(s: &Option<String>) -> Doc {
        s.as_ref().map_or(Doc::Null, |s| Doc::Str(s.clone()))
    }

    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&Doc> {
        match self {
            Doc::Obj(f) => f.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Doc::Null => out.push_str("null"),
            Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Doc::Int(i) => out.push_str(&i.to_string()),
            Doc::Str(s) | Doc::Time(s) => {
                out.push_str(&serde_json::Value::String(s.clone()).to_string())
            }
            Doc::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Doc::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// Renders a collection the way Coupa does: `<user-groups type="array"><user-group>…`.
    pub fn to_xml(&self, root: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write_xml(root, 0, &mut out);
        out
    }

    fn write_xml(&self, name: &str, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        match self {
            Doc::Null => out.push_str(&format!("{pad}<{name} nil=\"true\"/>\n")),
            Doc::Bool(b) => out.push_str(&format!("{pad}<{name} type=\"boolean\">{b}</{name}>\n")),
            Doc::Int(i) => out.push_str(&format!("{pad}<{name} type=\"integer\">{i}</{name}>\n")),
            Doc::Str(s) => out.push_str(&format!("{pad}<{name}>{}</{name}>\n", escape(s))),
            Doc::Time(s) => out.push_str(&format!(
                "{pad}<{name} type=\"dateTime\">{}</{name}>\n",
                escape(s)
            )),
            Doc::Arr(items) if items.is_empty() => {
                out.push_str(&format!("{pad}<{name} type=\"array\"/>\n"))
            }
            Doc::Arr(items) => {
                out.push_str(&format!("{pad}<{name} type=\"array\">\n"));
                let item_name = name.strip_suffix('s').unwrap_or(name);
                for item in items {
                    item.write_xml(item_name, depth + 1, out);
                }
                out.push_str(&format!("{pad}</{name}>\n"));
            }
            Doc::Obj(fields) => {
                out.push_str(&format!("{pad}<{name}>\n"));
                for (k, v) in fields {
                    v.write_xml(k, depth + 1, out);
                }
                out.push_str(&format!("{pad}</{name}>\n"));
            }
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_order_and_xml_is_coupa_shaped() {
        let d = Doc::Arr(vec![Doc::obj(vec![
            ("id", Doc::Int(12)),
            ("name", Doc::Str("AP & AR".into())),
            ("description", Doc::Null),
            ("created-at", Doc::Time("2023-02-01T10:00:00-08:00".into())),
            ("users", Doc::Arr(vec![Doc::obj(vec![("id", Doc::Int(1))])])),
            ("content-groups", Doc::Arr(vec![])),
        ])]);
        assert_eq!(
            d.to_json(),
            r#"[{"id":12,"name":"AP & AR","description":null,"created-at":"2023-02-01T10:00:00-08:00","users":[{"id":1}],"content-groups":[]}]"#
        );
        let xml = d.to_xml("user-groups");
        assert!(xml.contains(
            "<user-groups type=\"array\">\n  <user-group>\n    <id type=\"integer\">12</id>"
        ));
        assert!(xml.contains("<name>AP &amp; AR</name>"));
        assert!(xml.contains("<description nil=\"true\"/>"));
        assert!(xml
            .contains("<users type=\"array\">\n      <user>\n        <id type=\"integer\">1</id>"));
        assert!(xml.contains("<content-groups type=\"array\"/>"));
    }
}
