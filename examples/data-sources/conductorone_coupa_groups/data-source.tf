variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

data "conductorone_coupa_groups" "approvers" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret

  name_regex = "(?i)approv"
  active     = true
}

output "approver_group_names" {
  value = [for g in data.conductorone_coupa_groups.approvers.groups : g.name]
}

# What ConductorOne syncs as groups: user groups and Coupa's projects, each with its `type`.
data "conductorone_coupa_groups" "as_conductorone_sees_them" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret

  include_projects = true
}

output "project_names" {
  value = [for g in data.conductorone_coupa_groups.as_conductorone_sees_them.groups : g.name if g.type == "Project"]
}
