output "state_bucket" {
  description = "Name of the state bucket (backend \"s3\" bucket of every root)."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}

output "state_kms_alias_arn" {
  description = "ARN of the state key's alias; CI roles are granted the key through it."
  value       = aws_kms_alias.state.arn
}

output "state_kms_key_arn" {
  description = "ARN of the state key: kms_key_id of every backend (S3 resolves an alias in the caller's account, so cross-account callers must name the key ARN)."
  value       = aws_kms_key.state.arn
}
