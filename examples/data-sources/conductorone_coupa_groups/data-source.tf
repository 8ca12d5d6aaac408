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
