variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

resource "conductorone_coupa_integration" "coupa" {
  app_id        = "2abcAppId" # the ConductorOne app of Coupa; changing it replaces the integration
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef" # Coupa OAuth2 client (client credentials)
  client_secret = var.coupa_client_secret            # stored in the state: use an encrypted backend

  # Optional:
  access_mode = "read_only"          # or "provisioning"
  user_ids    = ["2userA", "2userB"] # owners, changed through ConductorOne's delegated update

  # Wait for the sync that starts once the configuration is written; a failed wait leaves a
  # create tainted (`terraform untaint` keeps it) and an update in place.
  wait_for_sync = true
  timeouts {
    create = "30m"
  }
}
