# Terraform 1.5 and later: every plan (and HCP Terraform's continuous validation) warns when the
# integration is not connected, quoting ConductorOne's message; a failed read is a warning too.
check "coupa_integration_connected" {
  data "conductorone_coupa_integration" "health" {
    app_id = "2abcAppId"
    id     = "2xyzConnectorId"
  }

  assert {
    condition     = data.conductorone_coupa_integration.health.configured && data.conductorone_coupa_integration.health.sync_status == "SYNC_STATUS_DONE"
    error_message = "The Coupa integration is not connected (configured: ${data.conductorone_coupa_integration.health.configured}, sync status: \"${data.conductorone_coupa_integration.health.sync_status}\"): ${data.conductorone_coupa_integration.health.last_error}"
  }
}
