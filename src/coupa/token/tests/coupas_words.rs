//! Coupa's own words: the `error_description` of an `invalid_client` answer, against the
//! Coupa stand-in's knob that chooses it.

use serde_json::json;
use standin::Standin;

use super::on_the_wire::{tenant_at, url, SECRET};
use super::*;
use crate::secret::MASK;

/// Coupa's 400 `invalid_client` says its cause in `error_description`: quoted, scrubbed of the
/// secret in every form it was sent, capped; a description that names a requested scope makes
/// the error a missing-scope one, listing it.
#[tokio::test]
async fn invalid_client_quotes_coupas_description() {
    let standin = Standin::start();
    let tenant = tenant_at(url(&standin));
    let echo = format!(
        "Client authentication failed for secret {SECRET} ({}){}",
        url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>(),
        " and more".repeat(60)
    );
    standin
        .coupa_post("config", json!({"invalid_client_description": echo}))
        .await;
    let err = tenant
        .check_credentials(&["core.common.read"])
        .await
        .unwrap_err();
    let TokenError::InvalidClient {
        description,
        scopes,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(scopes.is_empty());
    assert!(description.starts_with("Client authentication failed for secret"));
    assert!(!description.contains(SECRET), "{description}");
    assert!(!err.to_string().contains("s3cr"), "{err}");
    assert!(description.contains(MASK), "{description}");
    assert!(description.chars().count() <= 300, "{description}");

    standin
        .coupa_post(
            "config",
            json!({"invalid_client_description": "Scope core.user.read is not allowed for this client."}),
        )
        .await;
    let err = tenant
        .check_credentials(&["core.common.read", "core.user.read"])
        .await
        .unwrap_err();
    let TokenError::InvalidClient { scopes, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(scopes, &["core.user.read"]);
    let text = err.to_string();
    assert!(
        text.contains("Coupa says: \"Scope core.user.read is not allowed for this client.\""),
        "{text}"
    );
    assert!(text.contains("not granted: `core.user.read`"), "{text}");
}
