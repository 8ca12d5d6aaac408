terraform {
  required_providers {
    conductorone = {
      # Replace with the address under which you publish or mirror this provider.
      source = "example.com/platform/conductorone"
    }
  }
}

# Credentials are best left to environment variables in CI:
#   CONDUCTORONE_CLIENT_ID, CONDUCTORONE_CLIENT_SECRET (or an OIDC token, or CONDUCTORONE_ACCESS_TOKEN)
provider "conductorone" {
  tenant_domain = "acme" # https://acme.conductor.one
}
