# A complete configuration: the provider, the Coupa integration of a ConductorOne app, and the
# Coupa user groups, roles and licenses it will see. Nothing secret is written here; set the environment:
#   CONDUCTORONE_TENANT_DOMAIN, CONDUCTORONE_CLIENT_ID, CONDUCTORONE_CLIENT_SECRET  (ConductorOne)
#   TF_VAR_app_id, TF_VAR_coupa_client_id, TF_VAR_coupa_client_secret                (Coupa)
# The Coupa client secret is stored in the Terraform state: keep the state in an encrypted backend.
terraform {
  required_version = ">= 1.0"

  required_providers {
    conductorone = {
      source = "example.com/platform/conductorone"
    }
  }
}

# Every setting comes from its CONDUCTORONE_* environment variable.
provider "conductorone" {}

variable "app_id" {
  description = "ID of the ConductorOne app that represents Coupa."
  type        = string
}

variable "coupa_domain" {
  description = "Host of the Coupa instance."
  type        = string
  default     = "acme.coupahost.com"
}

variable "coupa_client_id" {
  description = "Coupa OAuth2 client (grant type client credentials) with the read_only scopes."
  type        = string
}

variable "coupa_client_secret" {
  description = "Secret of that Coupa OAuth2 client."
  type        = string
  sensitive   = true
}

resource "conductorone_coupa_integration" "coupa" {
  app_id        = var.app_id
  coupa_domain  = var.coupa_domain
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  access_mode   = "read_only"

  # The apply ends once ConductorOne has synced the connector (SYNC_STATUS_DONE), and fails with
  # ConductorOne's message if the sync does not succeed within the timeout.
  wait_for_sync = true

  timeouts {
    create = "30m"
    update = "30m"
  }
}

data "conductorone_coupa_groups" "active" {
  coupa_domain  = var.coupa_domain
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  active        = true
}

data "conductorone_coupa_roles" "admins" {
  coupa_domain  = var.coupa_domain
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
  name_regex    = "(?i)admin"
}

data "conductorone_coupa_licenses" "in_use" {
  coupa_domain  = var.coupa_domain
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

output "integration_import_id" {
  description = "The ID that `terraform import` takes for this integration."
  value       = "${conductorone_coupa_integration.coupa.app_id}/${conductorone_coupa_integration.coupa.id}"
}

output "coupa_url" {
  value = conductorone_coupa_integration.coupa.coupa_url
}

output "active_groups" {
  description = "Names of the active Coupa user groups, by Coupa id."
  value       = { for g in data.conductorone_coupa_groups.active.groups : g.id => g.name }
}

output "omnipotent_admin_roles" {
  description = "Admin roles that grant full administrative access."
  value       = [for r in data.conductorone_coupa_roles.admins.roles : r.name if r.omnipotent]
}

output "license_holders" {
  description = "How many active people hold each Coupa license the tenant uses."
  value       = { for l in data.conductorone_coupa_licenses.in_use.licenses : l.name => l.user_count if l.user_count > 0 }
}
