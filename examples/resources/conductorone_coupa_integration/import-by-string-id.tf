# Terraform 1.5 and later. The ID is "<app_id>/<connector_id>". To bring a connector made in
# ConductorOne's UI under Terraform, write only this block and let Terraform write the resource:
#   terraform plan -generate-config-out=generated.tf
# ConductorOne never returns the client secret, so generated.tf has `client_secret = null`, and
# that plan stops with "Missing Coupa Credential" on it. Either replace it with
# `client_secret = var.coupa_client_secret`: the apply then sends the secret to ConductorOne (an
# in-place update) and nothing else; or, to leave the configuration to the connector's owners in
# ConductorOne, delete the three lines: without `coupa_domain`, `client_id` and `client_secret`
# the import plans no change. Either way the next plan is empty.
import {
  to = conductorone_coupa_integration.coupa
  id = "2abcAppId/2xyzConnectorId"
}
