variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

data "conductorone_coupa_users" "people" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret
}

data "conductorone_coupa_roles" "admin" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret

  name_regex      = "^Admin$"
  include_members = true
}

# Who the active Coupa admins are, by login: what a pull request reviewer wants to see before
# ConductorOne syncs them.
output "admin_logins" {
  value = [
    for u in data.conductorone_coupa_users.people.users : u.login
    if contains(one(data.conductorone_coupa_roles.admin.roles).user_ids, u.id)
  ]
}

# People holding the Treasury license (ConductorOne's ID `treasury_user`).
output "treasury_logins" {
  value = [for u in data.conductorone_coupa_users.people.users : u.login if contains(u.license_ids, "treasury_user")]
}
