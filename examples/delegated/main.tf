# The delegated setup: Terraform creates the Coupa connector pending its configuration, with its
# owners, and no Coupa secret appears anywhere (not in variables, plans or state). ConductorOne
# emails the owners that their help is needed; an owner with Coupa admin access enters the Coupa
# domain, client ID and secret in ConductorOne (Admin > Connectors > Coupa > Settings > Edit),
# which starts the first sync. Terraform never plans, sends or fights that configuration.
# ConductorOne credentials come from the environment:
#   CONDUCTORONE_TENANT_DOMAIN, CONDUCTORONE_CLIENT_ID, CONDUCTORONE_CLIENT_SECRET
terraform {
  required_version = ">= 1.0"

  required_providers {
    conductorone = {
      source = "example.com/platform/conductorone"
    }
  }
}

provider "conductorone" {}

variable "app_id" {
  description = "ID of the ConductorOne app that represents Coupa."
  type        = string
}

variable "coupa_owner_ids" {
  description = "ConductorOne user IDs of the people who hold Coupa admin access and finish the setup."
  type        = set(string)
}

# No coupa_domain, client_id or client_secret: the owners configure the connector.
resource "conductorone_coupa_integration" "coupa" {
  app_id   = var.app_id
  user_ids = var.coupa_owner_ids
}

# Live state, read on every plan: `configured` turns true once an owner has saved the settings.
data "conductorone_coupa_integration" "coupa" {
  app_id = conductorone_coupa_integration.coupa.app_id
  id     = conductorone_coupa_integration.coupa.id
}

output "coupa_integration" {
  value = {
    id          = conductorone_coupa_integration.coupa.id
    configured  = data.conductorone_coupa_integration.coupa.configured
    sync_status = data.conductorone_coupa_integration.coupa.sync_status
  }
}
