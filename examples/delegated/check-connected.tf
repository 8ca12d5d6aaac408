# Terraform 1.5 and later: each plan warns, quoting ConductorOne's message, while the connector is
# not configured or its last sync did not succeed. The plan still succeeds.
check "coupa_connected" {
  data "conductorone_coupa_integration" "health" {
    app_id = conductorone_coupa_integration.coupa.app_id
    id     = conductorone_coupa_integration.coupa.id
  }

  assert {
    condition     = data.conductorone_coupa_integration.health.configured
    error_message = "The Coupa connector is waiting for its owners to enter the Coupa domain, client ID and secret in ConductorOne."
  }

  assert {
    condition     = !data.conductorone_coupa_integration.health.configured || data.conductorone_coupa_integration.health.sync_status == "SYNC_STATUS_DONE"
    error_message = "The Coupa integration is not connected (sync status \"${data.conductorone_coupa_integration.health.sync_status}\"): ${data.conductorone_coupa_integration.health.last_error}"
  }
}
