# The ID is "<app_id>/<connector_id>". The client secret cannot be imported: with the three
# credentials in your configuration, the next plan shows it as an update, which sends the value
# from your configuration to ConductorOne. A configuration without `coupa_domain`, `client_id`
# and `client_secret` (the delegated setup, its owners keeping the configuration in
# ConductorOne) plans no change after the import.
terraform import conductorone_coupa_integration.coupa 2abcAppId/2xyzConnectorId
