output "bucket_name" {
  description = "S3 bucket for document content (DEPOT_BUCKET_NAME)."
  value       = aws_s3_bucket.content.id
}

output "bucket_arn" {
  description = "ARN of the content bucket."
  value       = aws_s3_bucket.content.arn
}

output "table_name" {
  description = "DynamoDB table for document metadata (DEPOT_TABLE_NAME)."
  value       = aws_dynamodb_table.documents.name
}

output "table_arn" {
  description = "ARN of the documents table."
  value       = aws_dynamodb_table.documents.arn
}

output "secret_name" {
  description = "Secrets Manager secret holding the API-key hashes (DEPOT_KEYS_SECRET_ID)."
  value       = aws_secretsmanager_secret.api_keys.name
}

output "secret_arn" {
  description = "ARN of the API-key secret (with its random suffix)."
  value       = aws_secretsmanager_secret.api_keys.arn
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the bucket, table and secret."
  value       = aws_kms_key.data.arn
}

output "kms_alias" {
  description = "Alias of the data key (alias/SERVICE-ENV)."
  value       = aws_kms_alias.data.name
}
