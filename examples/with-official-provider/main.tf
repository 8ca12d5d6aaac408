terraform {
  required_providers {
    # ConductorOne's official provider keeps the local name `conductorone`.
    conductorone = {
      source = "conductorone/conductorone"
    }
    # This provider gets its own local name.
    c1coupa = {
      source = "example.com/platform/conductorone"
    }
  }
}

# Both read CONDUCTORONE_CLIENT_ID, CONDUCTORONE_CLIENT_SECRET and CONDUCTORONE_TENANT_DOMAIN.
provider "conductorone" {}

provider "c1coupa" {}

variable "app_id" {
  description = "The ConductorOne app of Coupa, for example conductorone_app.coupa.id."
  type        = string
}

variable "coupa_client_id" {
  type = string
}

variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

resource "conductorone_coupa_integration" "coupa" {
  provider = c1coupa # on every resource and data source of this provider

  app_id        = var.app_id
  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}

data "conductorone_coupa_roles" "all" {
  provider = c1coupa

  coupa_domain  = "acme.coupahost.com"
  client_id     = var.coupa_client_id
  client_secret = var.coupa_client_secret
}
