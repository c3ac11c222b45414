output "repository_urls" {
  description = "Map service => image repository (chart value image.repository)."
  value       = { for k, m in module.ecr : k => m.repository_url }
}

output "registry_prefix" {
  description = "The only registry the admission policies accept images from (with a trailing slash)."
  value       = one(distinct([for m in module.ecr : m.registry_prefix]))
}

output "github_oidc_provider_arn" {
  description = "ARN of the shared account's GitHub Actions OIDC provider."
  value       = module.ci.oidc_provider_arn
}

output "image_push_role_arn" {
  description = "Role of the release workflow (environment release): push images to ECR."
  value       = module.ci.image_push_role_arn
}

output "terraform_plan_role_arn" {
  description = "Role of the shared root's plan job (read-only)."
  value       = module.ci.terraform_plan_role_arn
}

output "terraform_apply_role_arn" {
  description = "Role of the shared root's apply job (behind the protected environment)."
  value       = module.ci.terraform_apply_role_arn
}
