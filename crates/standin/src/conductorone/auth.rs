//! ConductorOne authentication: the demo credentials, `POST /auth/v1/token` and the bearer check.
//!
//! The token endpoint accepts the three grants of reference §1.3, §1.4 and §1.6: a client
//! credentials grant authenticated by an Ed25519-signed JWT assertion (what the provider sends), the
//! same grant with the plain `client_secret`, and an RFC 8693 exchange of the demo OIDC token.
//! The assertion check is written from the reference, not from the provider, so a signing bug in
//! the provider cannot be mirrored here.

use crate::control::{ApiReply, Ctx};
use crate::server::{json, set_header, Req};
use crate::util;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Longest accepted distance of an assertion's `exp` into the future (reference §1.3, S3).
const MAX_ASSERTION_LIFETIME: i64 = 300;
/// Clock skew tolerated on `nbf` and `iat`.
const SKEW: i64 = 60;

/// A registered API client: `client_id` and the public half of its Ed25519 key.
pub struct ApiClient {
    pub client_id: String,
    /// The full `secret-token:conductorone.com:v1:…` string.
    pub client_secret: String,
    key: VerifyingKey,
}

impl ApiClient {
    /// A fresh client whose ID names `host` and `use_case` the way real IDs do
    /// (`strange-hydra-68836@acme.conductor.one/spc`).
    pub fn generate(host: &str, use_case: &str) -> Self {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let jwk = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}","d":"{}"}}"#,
            util::b64url(signing.verifying_key().as_bytes()),
            util::b64url(signing.as_bytes())
        );
        ApiClient {
            client_id: format!("{}@{host}/{use_case}", random_name()),
            client_secret: format!(
                "secret-token:conductorone.com:v1:{}",
                util::b64url(jwk.as_bytes())
            ),
            key: signing.verifying_key(),
        }
    }
}

/// `adjective-noun-NNNNN`, the look of real client IDs.
fn random_name() -> String {
    const ADJ: [&str; 8] = [
        "strange", "clever", "quiet", "brave", "lucky", "swift", "gentle", "bold",
    ];
    const NOUN: [&str; 8] = [
        "hydra", "fox", "otter", "falcon", "lynx", "heron", "badger", "wren",
    ];
    let b = util::rand_bytes(4);
    let n = u16::from_be_bytes([b[2], b[3]]) as u32 % 90_000 + 10_000;
    format!("{}-{}-{n}", ADJ[b[0] as usize % 8], NOUN[b[1] as usize % 8])
}

/// Checks a compact JWS client assertion for `client` (reference §1.3). `aud` is the host the
/// request was sent to, without port. Returns why it was rejected, for the request log.
pub fn verify_assertion(
    assertion: &str,
    client_id: &str,
    key: &VerifyingKey,
    aud: &str,
    now: i64,
) -> Result<(), String> {
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h64, p64, s64] = parts[..] else {
        return Err("malformed assertion: not a compact JWS".into());
    };
    let decode_json = |part: &str, what: &str| -> Result<serde_json::Map<String, Value>, String> {
        let bytes = util::b64url_decode(part).ok_or(format!("malformed {what}: not base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(format!("malformed {what}: not a JSON object")),
        }
    };
    let header = decode_json(h64, "header")?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return Err(format!(
            "unsupported alg {}",
            header.get("alg").unwrap_or(&Value::Null)
        ));
    }
    if header
        .get("nonce")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("missing nonce in JWS header".into());
    }
    let claims = decode_json(p64, "claims")?;
    let sig = util::b64url_decode(s64)
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or("malformed signature")?;
    key.verify(
        format!("{h64}.{p64}").as_bytes(),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| "bad signature".to_string())?;

    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client_id) {
        return Err(format!("iss {:?} is not the client_id", text("iss")));
    }
    if text("sub") != Some(client_id) {
        return Err(format!("sub {:?} is not the client_id", text("sub")));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == aud,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(aud)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "aud {} is not {aud:?}",
            claims.get("aud").unwrap_or(&Value::Null)
        ));
    }
    let number = |name: &str| claims.get(name).and_then(Value::as_f64).map(|f| f as i64);
    let exp = number("exp").ok_or("missing exp")?;
    if exp <= now {
        return Err("assertion expired".into());
    }
    if exp > now + MAX_ASSERTION_LIFETIME {
        return Err("exp more than 5 minutes ahead".into());
    }
    if number("nbf").is_some_and(|nbf| nbf > now + SKEW) {
        return Err("nbf in the future".into());
    }
    if let Some(iat) = number("iat") {
        if iat > now + SKEW {
            return Err("iat in the future".into());
        }
        if iat > exp {
            return Err("iat after exp".into());
        }
    }
    Ok(())
}

/// The host of a `Host` header without its port (`127.0.0.1:8080` → `127.0.0.1`, `[::1]:80` → `::1`).
pub fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

/// What a bearer token stands for.
struct Token {
    user_id: String,
    /// `None` for the static token printed at start, which never expires.
    expires_at: Option<i64>,
}

/// Credentials, issued tokens and counters of the ConductorOne stand-in.
pub struct C1Auth {
    pub client: ApiClient,
    pub wfe_client_id: String,
    pub oidc_token: String,
    pub static_token: String,
    pub user_id: String,
    server_key: SigningKey,
    tokens: Mutex<HashMap<String, Token>>,
    pub expires_in: AtomicU64,
    issued_by_client: Mutex<BTreeMap<String, u64>>,
    issued_by_grant: Mutex<BTreeMap<String, u64>>,
}

impl C1Auth {
    /// `host` is what client IDs name (`127.0.0.1:PORT`); `user_id` is the demo principal.
    pub fn new(host: &str, user_id: String) -> Self {
        let server_key = SigningKey::generate(&mut rand::rngs::OsRng);
        let idp_key = SigningKey::generate(&mut rand::rngs::OsRng);
        let aud = host_without_port(host).to_string();
        let now = util::now_secs();
        let oidc_token = sign_jwt(
            &idp_key,
            &json!({"iss":"https://app.terraform.io","aud":aud,
                    "sub":"organization:demo:project:Default Project:workspace:standin:run_phase:apply",
                    "iat":now,"nbf":now,"exp":now + 86_400 * 365,"jti":util::rand_hex(16)}),
        );
        let static_token = util::b64url(&util::rand_bytes(32));
        let mut tokens = HashMap::new();
        tokens.insert(
            static_token.clone(),
            Token {
                user_id: user_id.clone(),
                expires_at: None,
            },
        );
        C1Auth {
            client: ApiClient::generate(host, "spc"),
            wfe_client_id: format!("{}@{host}/wfe", random_name()),
            oidc_token,
            static_token,
            user_id,
            server_key,
            tokens: Mutex::new(tokens),
            expires_in: AtomicU64::new(600),
            issued_by_client: Mutex::new(BTreeMap::new()),
            issued_by_grant: Mutex::new(BTreeMap::new()),
        }
    }

    /// The user a valid bearer token acts as; `None` if missing, unknown or expired.
    pub fn principal(&self, req: &Req) -> Option<String> {
        let auth = req.header("authorization")?;
        let (scheme, token) = auth.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let tokens = self.tokens.lock().unwrap();
        let t = tokens.get(token.trim())?;
        match t.expires_at {
            Some(exp) if exp <= util::now_secs() => None,
            _ => Some(t.user_id.clone()),
        }
    }

    /// Every token this stand-in has issued, the static one included (tokens are never dropped).
    pub fn issued_tokens(&self) -> Vec<String> {
        let mut all: Vec<String> = self.tokens.lock().unwrap().keys().cloned().collect();
        all.sort();
        all
    }

    pub fn stats(&self) -> Value {
        json!({"tokens_issued": *self.issued_by_client.lock().unwrap(),
               "tokens_issued_by_grant": *self.issued_by_grant.lock().unwrap()})
    }

    /// `POST /auth/v1/token`.
    pub fn token_endpoint(&self, req: &Req, _ctx: &Ctx) -> ApiReply {
        let ct = req
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if !ct.starts_with("application/x-www-form-urlencoded") {
            return oauth_error(
                400,
                "invalid_request",
                "body must be application/x-www-form-urlencoded",
            )
            .note(format!("content-type {ct:?}"));
        }
        let form: HashMap<String, String> = util::parse_form(&req.body).into_iter().collect();
        let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let now = util::now_secs();
        match field("grant_type") {
            None => oauth_error(400, "invalid_request", "grant_type is required")
                .note("missing grant_type"),
            Some("client_credentials") => {
                let client_id = field("client_id");
                if let Some(assertion) = field("client_assertion") {
                    if field("client_assertion_type") != Some(JWT_BEARER) {
                        return oauth_error(
                            400,
                            "invalid_request",
                            "unsupported client_assertion_type",
                        )
                        .note("bad client_assertion_type");
                    }
                    if client_id != Some(self.client.client_id.as_str()) {
                        return invalid_client().note(format!("unknown client_id {client_id:?}"));
                    }
                    let aud = host_without_port(req.header("host").unwrap_or(""));
                    match verify_assertion(
                        assertion,
                        &self.client.client_id,
                        &self.client.key,
                        aud,
                        now,
                    ) {
                        Ok(()) => {
                            self.issue(&self.client.client_id.clone(), "client_assertion", now)
                        }
                        Err(why) => invalid_client().note(why),
                    }
                } else if let Some(secret) = field("client_secret") {
                    if client_id != Some(self.client.client_id.as_str()) {
                        return invalid_client().note(format!("unknown client_id {client_id:?}"));
                    }
                    if secret != self.client.client_secret {
                        return invalid_client().note("wrong client_secret");
                    }
                    self.issue(&self.client.client_id.clone(), "client_secret", now)
                } else {
                    invalid_client().note("no client authentication")
                }
            }
            Some(TOKEN_EXCHANGE) => {
                if field("subject_token_type") != Some(JWT_TOKEN_TYPE) {
                    return oauth_error(
                        400,
                        "invalid_request",
                        "subject_token_type must be urn:ietf:params:oauth:token-type:jwt",
                    )
                    .note("bad subject_token_type");
                }
                let client_id = field("client_id");
                if client_id != Some(self.wfe_client_id.as_str()) {
                    return invalid_client().note(format!("unknown wfe client_id {client_id:?}"));
                }
                if field("subject_token") != Some(self.oidc_token.as_str()) {
                    return oauth_error(400, "invalid_grant", "subject token is not trusted")
                        .note("unknown subject_token");
                }
                self.issue(&self.wfe_client_id.clone(), "token_exchange", now)
            }
            Some(other) => oauth_error(400, "unsupported_grant_type", "grant type not supported")
                .note(format!("grant_type {other}")),
        }
    }

    fn issue(&self, client_id: &str, grant: &str, now: i64) -> ApiReply {
        let ttl = self.expires_in.load(Ordering::SeqCst) as i64;
        let token = sign_jwt(
            &self.server_key,
            &json!({"iss":"conductorone-standin","sub":self.user_id,"client_id":client_id,
                    "iat":now,"exp":now + ttl,"jti":util::rand_hex(12)}),
        );
        self.tokens.lock().unwrap().insert(
            token.clone(),
            Token {
                user_id: self.user_id.clone(),
                expires_at: Some(now + ttl),
            },
        );
        *self
            .issued_by_client
            .lock()
            .unwrap()
            .entry(client_id.into())
            .or_default() += 1;
        *self
            .issued_by_grant
            .lock()
            .unwrap()
            .entry(grant.into())
            .or_default() += 1;
        let mut r = json(
            200,
            &json!({"access_token": token, "token_type": "Bearer", "expires_in": ttl}),
        );
        set_header(&mut r, "cache-control", "no-store");
        ApiReply::new(r).note(format!("issued via {grant}"))
    }
}

/// An EdDSA-signed compact JWS of `claims` (the shape real ConductorOne tokens have).
fn sign_jwt(key: &SigningKey, claims: &Value) -> String {
    let header = util::b64url(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    let payload = util::b64url(claims.to_string().as_bytes());
    let sig = key.sign(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", util::b64url(&sig.to_bytes()))
}

fn oauth_error(status: u16, error: &str, description: &str) -> ApiReply {
    let mut r = json(
        status,
        &json!({"error": error, "error_description": description}),
    );
    set_header(&mut r, "cache-control", "no-store");
    ApiReply::new(r)
}

fn invalid_client() -> ApiReply {
    oauth_error(401, "invalid_client", "client authentication failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "clever-fox-12345@127.0.0.1:8443/spc";

    fn assertion(key: &SigningKey, header: Value, claims: Value) -> String {
        let h = util::b64url(header.to_string().as_bytes());
        let p = util::b64url(claims.to_string().as_bytes());
        let sig = key.sign(format!("{h}.{p}").as_bytes());
        format!("{h}.{p}.{}", util::b64url(&sig.to_bytes()))
    }

    fn good(key: &SigningKey, now: i64) -> String {
        assertion(
            key,
            json!({"alg":"EdDSA","nonce":"00112233445566778899aabbccddeeff"}),
            json!({"iss":CID,"sub":CID,"aud":"127.0.0.1","iat":now,"nbf":now - 120,"exp":now + 120}),
        )
    }

    #[test]
    fn accepts_a_valid_assertion() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let now = 1_800_000_000;
        verify_assertion(
            &good(&key, now),
            CID,
            &key.verifying_key(),
            "127.0.0.1",
            now,
        )
        .unwrap();
    }

    #[test]
    fn rejects_wrong_key_aud_and_times() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let vk = key.verifying_key();
        let now = 1_800_000_000;
        let check = |a: &str| verify_assertion(a, CID, &vk, "127.0.0.1", now).unwrap_err();
        assert_eq!(check(&good(&other, now)), "bad signature");
        assert!(
            verify_assertion(&good(&key, now), CID, &vk, "localhost", now)
                .unwrap_err()
                .starts_with("aud")
        );
        let h = json!({"alg":"EdDSA","nonce":"ab"});
        let expired = assertion(
            &key,
            h.clone(),
            json!({"iss":CID,"sub":CID,"aud":"127.0.0.1","exp":now - 1}),
        );
        assert_eq!(check(&expired), "assertion expired");
        let far = assertion(
            &key,
            h.clone(),
            json!({"iss":CID,"sub":CID,"aud":"127.0.0.1","exp":now + 301}),
        );
        assert_eq!(check(&far), "exp more than 5 minutes ahead");
        let iss = assertion(
            &key,
            h.clone(),
            json!({"iss":"x","sub":CID,"aud":"127.0.0.1","exp":now + 60}),
        );
        assert!(check(&iss).starts_with("iss"));
        let nonce = assertion(
            &key,
            json!({"alg":"EdDSA"}),
            json!({"iss":CID,"sub":CID,"aud":"127.0.0.1","exp":now + 60}),
        );
        assert_eq!(check(&nonce), "missing nonce in JWS header");
        let alg = assertion(&key, json!({"alg":"HS256","nonce":"ab"}), json!({}));
        assert!(check(&alg).starts_with("unsupported alg"));
        // A signature made for other bytes: flip the claims but keep the signature.
        let g = good(&key, now);
        let parts: Vec<&str> = g.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            util::b64url(
                json!({"iss":CID,"sub":CID,"aud":"127.0.0.1","exp":now + 200})
                    .to_string()
                    .as_bytes()
            ),
            parts[2]
        );
        assert_eq!(check(&forged), "bad signature");
        assert_eq!(check("a.b"), "malformed assertion: not a compact JWS");
    }

    #[test]
    fn generated_secret_has_the_documented_format() {
        let c = ApiClient::generate("127.0.0.1:1234", "spc");
        assert!(c.client_id.ends_with("@127.0.0.1:1234/spc"));
        let parts: Vec<&str> = c.client_secret.split(':').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(&parts[..3], ["secret-token", "conductorone.com", "v1"]);
        let jwk: Value = serde_json::from_slice(&util::b64url_decode(parts[3]).unwrap()).unwrap();
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], "Ed25519");
        let seed = util::b64url_decode(jwk["d"].as_str().unwrap()).unwrap();
        let key = SigningKey::from_bytes(&seed.try_into().unwrap());
        assert_eq!(
            util::b64url(key.verifying_key().as_bytes()),
            jwk["x"].as_str().unwrap()
        );
        assert_eq!(key.verifying_key(), c.key);
    }

    #[test]
    fn host_port_is_stripped() {
        assert_eq!(host_without_port("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(
            host_without_port("acme.conductor.one"),
            "acme.conductor.one"
        );
        assert_eq!(host_without_port("[::1]:80"), "::1");
    }
}
