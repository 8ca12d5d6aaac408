# The live state of a Coupa connector, read from ConductorOne on every plan. The two IDs are the
# parts of the integration's import ID, or `conductorone_coupa_integration.<name>.app_id` / `.id`.
data "conductorone_coupa_integration" "coupa" {
  app_id = "2abcAppId"
  id     = "2xyzConnectorId"
}

output "coupa_integration_health" {
  value = {
    configured  = data.conductorone_coupa_integration.coupa.configured
    owners      = data.conductorone_coupa_integration.coupa.user_ids
    sync_status = data.conductorone_coupa_integration.coupa.sync_status
    last_error  = data.conductorone_coupa_integration.coupa.last_error
    last_sync   = data.conductorone_coupa_integration.coupa.sync_completed_at
  }
}
