//! The search for secrets in what a test saw: every value the stand-ins handed out, every
//! access token they issued, and anything shaped like a credential.

use regex::Regex;

/// Labelled values that must never appear, plus credential shapes.
#[derive(Default, Clone)]
pub struct Needles {
    /// `(label, value)`: the label is what a failure shows, never the value.
    pub exact: Vec<(String, String)>,
    /// `(label, pattern)`.
    pub shapes: Vec<(String, Regex)>,
}

impl Needles {
    /// The secrets of the stand-ins' ready line (client secrets, access token, OIDC token).
    pub fn of_ready_line(standin: &standin::Standin) -> Self {
        let mut n = Needles::default();
        for (i, s) in standin.secrets().into_iter().enumerate() {
            n.add(&format!("stand-in secret #{i}"), &s);
        }
        n
    }

    /// A value, with its URL-encoded and base64 spellings.
    pub fn add(&mut self, label: &str, value: &str) {
        use base64::Engine as _;
        if value.len() < 8 {
            return; // too short to search for without false alarms
        }
        self.exact.push((label.to_owned(), value.to_owned()));
        let encoded: String = url_encode(value);
        if encoded != value {
            self.exact.push((format!("{label} (URL-encoded)"), encoded));
        }
        self.exact.push((
            format!("{label} (base64)"),
            base64::engine::general_purpose::STANDARD.encode(value),
        ));
    }

    /// Also flag anything shaped like a JWT, a `Bearer` value or a `Basic` value.
    pub fn with_shapes(mut self) -> Self {
        let shapes = [
            (
                "a JWT",
                r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            ),
            ("a Bearer value", r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{16,}"),
            ("a Basic value", r"(?i)basic\s+[A-Za-z0-9+/=]{16,}"),
        ];
        for (label, pattern) in shapes {
            if let Ok(re) = Regex::new(pattern) {
                self.shapes.push((label.to_owned(), re));
            }
        }
        self
    }

    /// The labels of everything found in `text`.
    pub fn find(&self, text: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .exact
            .iter()
            .filter(|(_, v)| text.contains(v.as_str()))
            .map(|(l, _)| l.clone())
            .collect();
        found.extend(
            self.shapes
                .iter()
                .filter(|(_, re)| re.is_match(text))
                .map(|(l, _)| l.clone()),
        );
        found
    }

    /// Fails, naming only the labels, when anything is found in `text`.
    #[track_caller]
    pub fn assert_absent(&self, text: &str, what: &str) {
        let found = self.find(text);
        assert!(
            found.is_empty(),
            "{what} contains {} (output withheld)",
            found.join(", ")
        );
    }
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
