output "repository_url" {
  description = "Image repository (chart value image.repository)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository (scope of the CI image-push role)."
  value       = aws_ecr_repository.this.arn
}

output "registry_prefix" {
  description = "Registry host with a trailing slash: the only image source the admission policies allow."
  value       = "${split("/", aws_ecr_repository.this.repository_url)[0]}/"
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the images."
  value       = aws_kms_key.images.arn
}
