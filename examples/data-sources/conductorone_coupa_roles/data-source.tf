variable "coupa_client_secret" {
  type      = string
  sensitive = true
}

data "conductorone_coupa_roles" "all" {
  coupa_domain  = "acme.coupahost.com"
  client_id     = "0123456789abcdef0123456789abcdef"
  client_secret = var.coupa_client_secret
}

output "admin_roles" {
  value = [for r in data.conductorone_coupa_roles.all.roles : r.name if r.omnipotent]
}
