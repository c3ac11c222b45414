account_id = "444444444444"

# Each root's CI Terraform roles (depot-ci-terraform-plan/-apply in that root's account)
# and the platform administrators who run its first apply reach only their own
# live/ROOT/ prefix. SSO roles live under the aws-reserved/sso.amazonaws.com/ path.
state_writers = {
  shared = {
    account_id              = "444444444444"
    role_name_prefix        = "depot-ci-terraform-"
    admin_role_arn_patterns = ["arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*"]
  }
  dev = {
    account_id              = "111111111111"
    role_name_prefix        = "depot-ci-terraform-"
    admin_role_arn_patterns = ["arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*"]
  }
  staging = {
    account_id              = "222222222222"
    role_name_prefix        = "depot-ci-terraform-"
    admin_role_arn_patterns = ["arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*"]
  }
  prod = {
    account_id              = "333333333333"
    role_name_prefix        = "depot-ci-terraform-"
    admin_role_arn_patterns = ["arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*"]
  }
}

# Shared-account administrators reach every root's state (restores, state surgery).
state_admin_role_arn_patterns = ["arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_PlatformAdmin_*"]
