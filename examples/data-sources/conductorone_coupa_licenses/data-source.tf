variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

data "conductorone_coupa_licenses" "all" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret

  include_users = true
}

# How many active people hold each license the tenant uses.
output "licenses_in_use" {
  value = { for l in data.conductorone_coupa_licenses.all.licenses : l.name => l.user_count if l.user_count > 0 }
}

# The Coupa user IDs of the active Purchasing license holders.
output "purchasing_users" {
  value = one([for l in data.conductorone_coupa_licenses.all.licenses : l.user_ids if l.id == "purchasing-user"])
}

# IDs are ConductorOne's (four with underscores): the Treasury license is `treasury_user`, read
# from the `treasury-user` flag on each Coupa user.
output "treasury_users" {
  value = one([for l in data.conductorone_coupa_licenses.all.licenses : l.user_ids if l.id == "treasury_user"])
}
