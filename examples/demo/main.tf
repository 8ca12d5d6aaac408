# The demo configuration: run by `make demo` against the local stand-ins of ConductorOne and Coupa.
# The provider reads its settings from the environment the demo script sets:
# CONDUCTORONE_SERVER_URL, CONDUCTORONE_CLIENT_ID, CONDUCTORONE_CLIENT_SECRET and
# CONDUCTORONE_COUPA_ENDPOINT (which sends Coupa requests to the stand-in).
terraform {
  required_providers {
    conductorone = {
      source = "example.com/platform/conductorone"
    }
  }
}

provider "conductorone" {}

variable "app_id" {
  type = string
}

variable "coupa_client_id" {
  type = string
}

variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

resource "conductorone_coupa_integration" "coupa" {
  app_id        = var.app_id
  coupa_domain  = "https://acme.coupahost.com/session/new" # pasted from the browser; normalised
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  access_mode   = "read_only"
}

data "conductorone_coupa_groups" "active" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  active        = true
}

data "conductorone_coupa_roles" "all" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

data "conductorone_coupa_licenses" "used" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

output "integration_id" {
  value = conductorone_coupa_integration.coupa.id
}

output "coupa_url" {
  value = conductorone_coupa_integration.coupa.coupa_url
}

output "active_group_count" {
  value = length(data.conductorone_coupa_groups.active.groups)
}

output "first_active_groups" {
  value = slice([for g in data.conductorone_coupa_groups.active.groups : g.name], 0, 5)
}

output "admin_roles" {
  value = [for r in data.conductorone_coupa_roles.all.roles : r.name if r.omnipotent]
}

output "license_holders" {
  value = { for l in data.conductorone_coupa_licenses.used.licenses : l.id => l.user_count if l.user_count > 0 }
}
