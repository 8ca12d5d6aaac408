# The ID is "<app_id>/<connector_id>". The client secret cannot be imported: the next plan shows
# it as an update, which sends the value from your configuration to ConductorOne.
terraform import conductorone_coupa_integration.coupa 2abcAppId/2xyzConnectorId
