account_id = "444444444444"

# Each root's CI Terraform roles (depot-ci-terraform-plan/-apply in that root's account)
# reach only their own live/ROOT/ prefix. Administrators of the shared account reach the
# whole bucket through their own IAM permissions.
state_writers = {
  shared  = { account_id = "444444444444", role_name_prefix = "depot-ci-terraform-" }
  dev     = { account_id = "111111111111", role_name_prefix = "depot-ci-terraform-" }
  staging = { account_id = "222222222222", role_name_prefix = "depot-ci-terraform-" }
  prod    = { account_id = "333333333333", role_name_prefix = "depot-ci-terraform-" }
}
