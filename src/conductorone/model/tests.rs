use super::*;

/// A connector as the API emits it (`EmitUnpopulated`): every field present, unset ones null,
/// "", false or [].
pub(crate) fn emitted() -> Value {
    json!({
      "connectorView": {
        "connector": {
          "id": "2connId", "appId": "2abcAppId", "catalogId": "2rSHEoPoq5CS89JAUevDbYBS3uA",
          "displayName": "Coupa v2", "description": "", "userIds": ["2userA"],
          "config": {
            "@type": ENV_CONFIG_TYPE,
            "configuration": {
              "coupa-domain": {"stringValue": "acme.coupahost.com"},
              "oauth2_client_cred_grant_client_id": {"stringValue": "cid"},
              "some_map": {"keyValues": {"items": [{"key": "k", "value": "v"}]}}
            }
          },
          "createdAt": "2025-01-02T03:04:05Z", "updatedAt": "2025-01-02T03:04:06.123Z",
          "configUpdatedAt": null, "deletedAt": null, "syncDisabledAt": null,
          "status": {"status": "SYNC_STATUS_DONE", "startedAt": "2025-01-02T03:05:00Z",
                     "completedAt": null, "updatedAt": null, "lastError": ""},
          "syncDisabledReason": "", "syncDisabledCategory": "", "canResumeSync": false,
          "disableCheckBadSync": false, "connectorApiVersion": 2,
          "connectorSyncCronSchedule": null, "syncConfig": null, "profileAllowList": [],
          "profileIgnoreList": [], "parallelSyncWorkerCount": null, "oauthAuthorizedAs": null,
          "downloadUrl": ""
        },
        "appPath": "", "usersPath": "", "capabilitiesPath": ""
      },
      "expanded": []
    })
}

#[test]
fn decodes_an_emitted_connector() {
    let c = decode_connector_view(&emitted()).unwrap();
    assert_eq!(c.id, "2connId");
    assert_eq!(c.app_id, "2abcAppId");
    assert_eq!(c.catalog_id, "2rSHEoPoq5CS89JAUevDbYBS3uA");
    assert_eq!(c.display_name, "Coupa v2");
    assert_eq!(c.user_ids, vec!["2userA"]);
    assert_eq!(c.created_at.as_deref(), Some("2025-01-02T03:04:05Z"));
    assert_eq!(c.config_updated_at, None);
    assert!(!c.is_deleted());
    let values = c.config.unwrap().values;
    assert_eq!(
        values.len(),
        2,
        "the map-valued entry is skipped: {values:?}"
    );
    assert_eq!(values["coupa-domain"], "acme.coupahost.com");
    let status = c.status.unwrap();
    assert_eq!(status.status, "SYNC_STATUS_DONE");
    assert_eq!(status.completed_at, None);
}

#[test]
fn tolerates_unknown_missing_and_null() {
    let mut v = emitted();
    let c = &mut v["connectorView"]["connector"];
    c["brandNewField"] = json!({"x": [1, 2]});
    c["userIds"] = Value::Null;
    c["status"] = Value::Null;
    c.as_object_mut().unwrap().remove("description");
    c["deletedAt"] = json!("2025-02-01T00:00:00Z");
    let c = decode_connector_view(&v).unwrap();
    assert!(c.user_ids.is_empty() && c.status.is_none() && c.description.is_empty());
    assert!(c.is_deleted());
    let minimal = json!({"connectorView": {"connector": {"id": "x"}}});
    assert_eq!(decode_connector_view(&minimal).unwrap().id, "x");
}

#[test]
fn only_env_configs_are_read() {
    for config in [
        json!({"configuration": {"a": {"stringValue": "b"}}}),
        json!({"@type": "type.googleapis.com/other", "configuration": {}}),
        Value::Null,
    ] {
        let mut v = emitted();
        v["connectorView"]["connector"]["config"] = config.clone();
        let c = decode_connector_view(&v).unwrap();
        assert_eq!(c.config, None, "{config}");
    }
    let mut v = emitted();
    v["connectorView"]["connector"]["config"] =
        json!({"@type": ENV_CONFIG_TYPE, "configuration": {"old": "bare", "n": 3}});
    let values = decode_connector_view(&v).unwrap().config.unwrap().values;
    assert_eq!(
        values,
        BTreeMap::from([("old".to_owned(), "bare".to_owned())])
    );
}

#[test]
fn shape_errors_name_the_path_not_the_value() {
    assert_eq!(
        decode_connector_view(&json!({"expanded": []})).unwrap_err(),
        "the answer has no `connectorView`"
    );
    assert_eq!(
        decode_connector_view(&json!({"connectorView": {"connector": null}})).unwrap_err(),
        "the answer has no `connectorView.connector`"
    );
    assert!(decode_connector_view(&json!([1])).is_err());
    let mut v = emitted();
    v["connectorView"]["connector"]["userIds"] = json!([{"secret": "s3cr3t"}]);
    let err = decode_connector_view(&v).unwrap_err();
    assert_eq!(
        err,
        "`$.connectorView.connector.userIds` is not a list of strings"
    );
    v["connectorView"]["connector"]["userIds"] = json!([]);
    v["connectorView"]["connector"]["id"] = json!("");
    assert!(decode_connector_view(&v).unwrap_err().contains("no `id`"));
}

#[test]
fn list_pages_decode_with_paths() {
    let one = emitted()["connectorView"].clone();
    let page = json!({"list": [one.clone(), one], "nextPageToken": "b2Zmc2V0OjI", "expanded": []});
    let (list, next) = decode_connector_list(&page).unwrap();
    assert_eq!((list.len(), next.as_str()), (2, "b2Zmc2V0OjI"));
    assert_eq!(list[1].id, "2connId");
    let (list, next) = decode_connector_list(&json!({"list": [], "nextPageToken": ""})).unwrap();
    assert!(list.is_empty() && next.is_empty());
    let bad =
        json!({"list": [{"connector": {"id": "a"}}, {"connector": {"id": "b", "userIds": "u"}}]});
    assert_eq!(
        decode_connector_list(&bad).unwrap_err(),
        "`$.list[1].connector.userIds` is not a list of strings"
    );
    assert_eq!(
        decode_connector_list(&json!({"list": {}})).unwrap_err(),
        "`$.list` is not a list"
    );
}

#[test]
fn rfc3339_timestamps() {
    assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(unix_seconds("2025-01-02T03:04:05Z"), Some(1_735_787_045));
    assert_eq!(
        unix_seconds("2025-01-02T03:04:05.123456789Z"),
        Some(1_735_787_045)
    );
    assert_eq!(
        unix_seconds("2025-01-02T05:04:05+02:00"),
        Some(1_735_787_045)
    );
    assert_eq!(
        unix_seconds("2024-02-29T23:59:59-08:00"),
        Some(1_709_279_999)
    );
    for bad in [
        "",
        "2025-01-02",
        "2025-01-02T03:04:05",
        "2025-13-02T03:04:05Z",
        "x025-01-02T03:04:05Z",
        "2025-01-02T03:04:05+0200",
    ] {
        assert_eq!(unix_seconds(bad), None, "{bad}");
    }
}

#[test]
fn create_body() {
    let new = NewConnector {
        catalog_id: "cat".into(),
        user_ids: vec![],
        config: BTreeMap::from([
            ("z".to_owned(), ConfigValue::from("last")),
            ("a".to_owned(), ConfigValue::from(Secret::new("s3cr3t"))),
        ]),
    };
    assert_eq!(
        new.to_json().to_string(),
        format!(
            r#"{{"catalogId":"cat","config":{{"@type":"{ENV_CONFIG_TYPE}","configuration":{{"a":{{"stringValue":"s3cr3t"}},"z":{{"stringValue":"last"}}}}}}}}"#
        )
    );
    assert!(!format!("{new:?}").contains("s3cr3t"));
    assert_eq!(new.secrets(), vec![&Secret::new("s3cr3t")]);
    let with_users = NewConnector {
        user_ids: vec!["u1".into()],
        ..new
    };
    assert_eq!(with_users.to_json()["userIds"], json!(["u1"]));
}

#[test]
fn update_bodies_and_masks() {
    let update = ConnectorUpdate {
        catalog_id: "cat".into(),
        user_ids: Some(vec!["u1".into(), "u2".into()]),
        config: Some(BTreeMap::from([("k".to_owned(), ConfigValue::from("v"))])),
    };
    assert_eq!(
        update.mask(),
        "mask `config`, then delegated, mask `displayName,userIds`"
    );
    // The config alone through the plain update: no owners in it, and no name (the mask
    // names neither).
    assert_eq!(
        update.config_json("app", "cid"),
        Some(json!({
            "connector": {
                "id": "cid", "appId": "app", "catalogId": "cat",
                "config": {"@type": ENV_CONFIG_TYPE, "configuration": {"k": {"stringValue": "v"}}}
            },
            "updateMask": "config"
        }))
    );
    // The owners through the delegated update, with the current name.
    assert_eq!(
        update.owners_json("app", "cid", "Coupa v2"),
        Some(json!({
            "connector": {"id": "cid", "appId": "app", "catalogId": "cat",
                          "displayName": "Coupa v2", "userIds": ["u1", "u2"]},
            "updateMask": "displayName,userIds"
        }))
    );
    let owners_only = ConnectorUpdate {
        config: None,
        ..update
    };
    assert_eq!(owners_only.mask(), "delegated, mask `displayName,userIds`");
    assert!(owners_only.config_json("a", "b").is_none());
    assert!(ConnectorUpdate::default().is_empty());
}
