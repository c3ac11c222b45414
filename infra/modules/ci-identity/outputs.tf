output "oidc_provider_arn" {
  description = "ARN of the account's GitHub Actions OIDC provider."
  value       = local.provider_arn
}

output "image_push_role_arn" {
  description = "Role the release workflow assumes to push images (null when not created)."
  value       = try(aws_iam_role.image_push[0].arn, null)
}

output "terraform_plan_role_arn" {
  description = "Role the plan workflow assumes (read-only; null when not created)."
  value       = try(aws_iam_role.terraform["plan"].arn, null)
}

output "terraform_apply_role_arn" {
  description = "Role the apply workflow assumes behind the protected environment (null when not created)."
  value       = try(aws_iam_role.terraform["apply"].arn, null)
}

output "github_subjects" {
  description = "Map role kind => the only OIDC token subject it trusts."
  value = merge(
    var.image_push == null ? {} : { image_push = format(local.subject, var.image_push.github_environment) },
    var.terraform == null ? {} : {
      terraform_plan  = format(local.subject, var.terraform.plan_github_environment)
      terraform_apply = format(local.subject, var.terraform.apply_github_environment)
    },
  )
}

output "workload_boundary_arn" {
  description = "Permissions boundary every role of the platform carries (the apply role may create and change roles only with it); null without Terraform roles."
  value       = var.terraform == null ? null : aws_iam_policy.boundary[0].arn
}
