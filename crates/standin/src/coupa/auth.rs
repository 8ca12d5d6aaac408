//! Coupa's OAuth2 token endpoint (reference §2): client credentials with the client
//! authenticated by HTTP Basic or by form fields, scopes checked against the client's grants.
//!
//! Errors: Coupa answers `invalid_client` with 400 (ConductorOne's connector: "Coupa returns
//! invalid_client on a 400 regardless of cause", reference §3.1), every other error with 400 too.
//! rack-oauth2's own shape, a 401 with a `WWW-Authenticate: Basic` challenge, stays as a knob
//! (`POST /_standin/config {"invalid_client_status": 401}`). The descriptions are rack-oauth2's
//! texts; Coupa says which cause it was in `error_description` (reference §3.2), which the
//! knob `invalid_client_description` sets for every `invalid_client` answer.

use crate::control::ApiReply;
use crate::coupa::reply::{errors_body, json_doc, scopes_of};
use crate::server::{set_header, OutBody, Req};
use crate::util;
use base64::Engine as _;
use hyper::{Method, Response};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const INVALID_CLIENT: &str = "The client identifier provided is invalid, the client failed to authenticate, the client did not include its credentials, provided multiple client credentials, or used unsupported credentials type.";
const INVALID_SCOPE: &str =
    "The requested scope is invalid, unknown, malformed, or exceeds the previously granted scope.";
const INVALID_REQUEST: &str = "The request is missing a required parameter, includes an unsupported parameter or parameter value, repeats the same parameter, uses more than one method for including an access token, or is otherwise malformed.";
const UNSUPPORTED_GRANT: &str =
    "The authorization grant type is not supported by the authorization server.";

/// An OAuth2 client registered in the tenant.
pub struct CoupaClient {
    /// The name the ready line uses (`full`, `read_only`, …).
    pub label: &'static str,
    pub client_id: String,
    pub secret: String,
    pub scopes: Vec<String>,
    pub active: bool,
}

/// What an issued access token grants.
pub(crate) struct Token {
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response<OutBody> {
    let challenge = error == "invalid_client" && status == 401;
    let mut r = json_doc(
        status,
        &json!({"error": error, "error_description": description}).to_string(),
    );
    set_header(&mut r, "cache-control", "no-store");
    set_header(&mut r, "pragma", "no-cache");
    if challenge {
        set_header(
            &mut r,
            "www-authenticate",
            "Basic realm=\"OAuth2 Token Endpoint\"",
        );
    }
    r
}

/// `Authorization: Basic base64(urlenc(id):urlenc(secret))` → (id, secret), URL-decoded as
/// RFC 6749 §2.3.1 requires. `None` when the header is not Basic; `Some(Err)` when it is malformed.
pub fn basic_credentials(header: Option<&str>) -> Option<Result<(String, String), String>> {
    let (scheme, rest) = header?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let rest = rest.trim();
    let engine = base64::engine::general_purpose::STANDARD;
    let raw = engine
        .decode(rest)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(rest));
    let Ok(raw) = raw else {
        return Some(Err("Basic credentials are not base64".into()));
    };
    let text = String::from_utf8_lossy(&raw).into_owned();
    Some(match text.split_once(':') {
        Some((id, secret)) => Ok((util::form_decode(id), util::form_decode(secret))),
        None => Err("Basic credentials have no ':'".into()),
    })
}

/// Checks a requested scope string against a client's grants: `Ok(granted scopes of the token)`
/// or `Err(the first scope not granted)`. No scope (or only spaces) means everything granted.
pub fn grant_scopes(requested: Option<&str>, granted: &[String]) -> Result<Vec<String>, String> {
    let asked = scopes_of(requested.unwrap_or(""));
    if asked.is_empty() {
        return Ok(granted.to_vec());
    }
    let mut out: Vec<String> = Vec::new();
    for s in asked {
        if !granted.contains(&s) {
            return Err(s);
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// The token endpoint's state: the tenant's OAuth2 clients and the tokens issued to them.
pub struct Issuer {
    pub clients: Vec<CoupaClient>,
    /// Clients an admin registered (or whose secret or scopes changed) since start:
    /// `POST /_standin/clients`. Looked up before [`Issuer::clients`].
    pub(crate) registered: Mutex<Vec<CoupaClient>>,
    pub(crate) tokens: Mutex<HashMap<String, Token>>,
    pub(crate) tokens_issued: Mutex<BTreeMap<String, u64>>,
    pub(crate) token_ttl: AtomicU64,
    /// The status of an `invalid_client` answer: 400 as Coupa answers, or 401 (rack-oauth2's
    /// shape, with its `WWW-Authenticate: Basic` challenge).
    pub(crate) invalid_client_status: AtomicU64,
    /// The `error_description` of an `invalid_client` answer, when a test chose one (Coupa's
    /// words for the cause); rack-oauth2's text otherwise.
    pub(crate) invalid_client_description: Mutex<Option<String>>,
}

impl Issuer {
    /// Registers a client, or replaces the secret, scopes and state of the one with its ID (as
    /// an admin does in Coupa's OAuth2 client settings, rotating a secret or changing grants).
    pub(crate) fn register(
        &self,
        client_id: String,
        secret: String,
        scopes: Vec<String>,
        active: bool,
    ) {
        let mut registered = self.registered.lock().unwrap();
        registered.retain(|c| c.client_id != client_id);
        registered.push(CoupaClient {
            label: "registered",
            client_id,
            secret,
            scopes,
            active,
        });
    }

    /// `POST /oauth2/token`.
    pub(crate) fn token_endpoint(&self, req: &Req) -> ApiReply {
        let is_form = req.header("content-type").is_some_and(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        // A non-form body carries no parameters, as Rack sees it.
        let form: HashMap<String, String> = if is_form {
            util::parse_form(&req.body).into_iter().collect()
        } else {
            HashMap::new()
        };
        let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let basic = basic_credentials(req.header("authorization"));
        let (client_id, auth_style) = match (&basic, field("client_id")) {
            (Some(Ok((id, _))), _) => (Some(id.clone()), "basic"),
            (Some(Err(_)), _) => (None, "basic"),
            (None, Some(id)) => (Some(id.to_string()), "form"),
            (None, None) => (None, "none"),
        };
        let scope = form.get("scope").cloned();
        let extra = vec![
            ("client_id".to_string(), json!(client_id)),
            ("auth_style".to_string(), json!(auth_style)),
            ("scope".to_string(), json!(scope)),
        ];
        let done = |resp, note: &str| ApiReply {
            response: resp,
            note: note.to_string(),
            extra: extra.clone(),
            hold: std::time::Duration::ZERO,
        };
        if req.method != Method::POST {
            return done(
                errors_body(405, "Method Not Allowed"),
                "token endpoint needs POST",
            );
        }
        match field("grant_type") {
            None => {
                let why = if is_form {
                    "missing grant_type"
                } else {
                    "body is not form-encoded"
                };
                return done(oauth_error(400, "invalid_request", INVALID_REQUEST), why);
            }
            Some("client_credentials") => {}
            Some(other) => {
                return done(
                    oauth_error(400, "unsupported_grant_type", UNSUPPORTED_GRANT),
                    &format!("grant_type {other}"),
                )
            }
        }
        let invalid_client_status = match self.invalid_client_status.load(Ordering::SeqCst) {
            401 => 401,
            _ => 400,
        };
        let description = self
            .invalid_client_description
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_else(|| INVALID_CLIENT.to_owned());
        let invalid_client = |why: &str| {
            done(
                oauth_error(invalid_client_status, "invalid_client", &description),
                why,
            )
        };
        let (id, secret) = match (&basic, field("client_secret")) {
            (Some(Err(why)), _) => return invalid_client(why),
            (Some(Ok(_)), Some(_)) => {
                return invalid_client("multiple client credentials (Basic and form)")
            }
            (Some(Ok((id, secret))), None) => {
                if field("client_id").is_some_and(|f| f != id) {
                    return invalid_client("form client_id differs from Basic client_id");
                }
                (id.clone(), secret.clone())
            }
            (None, Some(secret)) => match field("client_id") {
                Some(id) => (id.to_string(), secret.to_string()),
                None => return invalid_client("client_secret without client_id"),
            },
            (None, None) => return invalid_client("no client credentials"),
        };
        let registered = self.registered.lock().unwrap();
        let Some(client) = registered
            .iter()
            .chain(&self.clients)
            .find(|c| c.client_id == id)
        else {
            return invalid_client("unknown client_id");
        };
        if client.secret != secret {
            return invalid_client("wrong client_secret");
        }
        if !client.active {
            return invalid_client("client is inactive");
        }
        let scopes = match grant_scopes(scope.as_deref(), &client.scopes) {
            Ok(s) => s,
            Err(bad) => {
                return done(
                    oauth_error(400, "invalid_scope", INVALID_SCOPE),
                    &format!("scope {bad} not granted"),
                )
            }
        };
        let ttl = self.token_ttl.load(Ordering::SeqCst) as i64;
        let token = jwt_looking_token(&client.client_id, &scopes, ttl);
        self.tokens.lock().unwrap().insert(
            token.clone(),
            Token {
                scopes: scopes.clone(),
                expires_at: util::now_secs() + ttl,
            },
        );
        *self
            .tokens_issued
            .lock()
            .unwrap()
            .entry(client.client_id.clone())
            .or_default() += 1;
        let mut r = json_doc(
            200,
            &json!({"access_token": token, "token_type": "bearer", "expires_in": ttl}).to_string(),
        );
        set_header(&mut r, "cache-control", "no-store");
        set_header(&mut r, "pragma", "no-cache");
        done(
            r,
            &format!("issued {} scopes to {}", scopes.len(), client.label),
        )
    }
}

/// A token that looks like Coupa's: a JWT over 1 KB (it grows with the scopes), opaque to us.
pub(crate) fn jwt_looking_token(client_id: &str, scopes: &[String], ttl: i64) -> String {
    let now = util::now_secs();
    let header = util::b64url(br#"{"alg":"RS256","typ":"JWT","kid":"standin"}"#);
    let claims = json!({"iss": "https://standin.coupahost.com", "sub": client_id, "aud": "coupa-api",
        "client_id": client_id, "scope": scopes.join(" "), "iat": now, "exp": now + ttl,
        "jti": util::rand_hex(16), "ext": util::b64url(&util::rand_bytes(420))});
    let payload = util::b64url(claims.to_string().as_bytes());
    format!(
        "{header}.{payload}.{}",
        util::b64url(&util::rand_bytes(256))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::READ_ONLY_SCOPES;

    #[test]
    fn basic_auth_parts_are_url_decoded() {
        let enc = base64::engine::general_purpose::STANDARD.encode("my%3Aid:s%2Bcr+t%25");
        let got = basic_credentials(Some(&format!("Basic {enc}")))
            .unwrap()
            .unwrap();
        assert_eq!(got, ("my:id".to_string(), "s+cr t%".to_string()));
        let nopad = base64::engine::general_purpose::STANDARD_NO_PAD.encode("a:b");
        assert_eq!(
            basic_credentials(Some(&format!("basic {nopad}")))
                .unwrap()
                .unwrap()
                .0,
            "a"
        );
        assert!(basic_credentials(Some("Bearer x")).is_none());
        assert!(basic_credentials(None).is_none());
        assert!(basic_credentials(Some("Basic !!!")).unwrap().is_err());
        let nocolon = base64::engine::general_purpose::STANDARD.encode("abc");
        assert!(basic_credentials(Some(&format!("Basic {nocolon}")))
            .unwrap()
            .is_err());
    }

    #[test]
    fn scopes_are_checked_against_grants() {
        let granted = scopes_of(READ_ONLY_SCOPES);
        assert_eq!(grant_scopes(None, &granted).unwrap(), granted);
        assert_eq!(grant_scopes(Some("  "), &granted).unwrap(), granted);
        assert_eq!(
            grant_scopes(
                Some("core.common.read  core.user_group.read core.common.read"),
                &granted
            )
            .unwrap(),
            ["core.common.read", "core.user_group.read"]
        );
        assert_eq!(
            grant_scopes(Some("core.common.read core.user.write"), &granted).unwrap_err(),
            "core.user.write"
        );
        let no_common: Vec<String> = granted
            .iter()
            .filter(|s| *s != "core.common.read")
            .cloned()
            .collect();
        assert!(grant_scopes(Some("core.common.read"), &no_common).is_err());
    }
}
