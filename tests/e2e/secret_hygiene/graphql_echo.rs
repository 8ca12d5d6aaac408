//! A step of the secret-hygiene story: Coupa's GraphQL `errors` (on HTTP 200) echoing the Coupa
//! client secret reach the roles data source's error text masked.

use serde_json::json;

use super::{error_lines, Story};

pub(super) async fn coupa_graphql_errors_are_masked(st: &mut Story) {
    st.rig.auth_with_client_secret();
    st.rig.use_coupa_client("full");
    let echoed = format!(
        "Field 'omnipotent' is not allowed for client_secret={}",
        st.rig.standin.coupa_client("full", "client_secret")
    );
    st.rig
        .standin
        .coupa_fault(json!({
            "path_prefix": "/api/graphql",
            "status": 200,
            "count": 10,
            "body": {"data": null, "errors": [{"message": echoed}]},
        }))
        .await;
    let run = st.tf("graphql-error", &["plan", "-input=false", "-no-color"]);
    assert_ne!(run.code, 0, "a plan whose roles fail succeeded");
    let shown = run.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        shown.contains("client_secret=<redacted>"),
        "the GraphQL echo reached the output, masked: {}",
        error_lines(&run)
    );
    st.rig.standin.clear_faults().await;
}
