variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

resource "conductorone_coupa_integration" "coupa" {
  app_id        = "2abcAppId"
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret

  # Optional:
  access_mode = "read_only" # or "provisioning"
  user_ids    = ["2userA", "2userB"]
}
