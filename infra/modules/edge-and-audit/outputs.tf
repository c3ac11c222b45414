output "waf_acl_arn" {
  description = "Web ACL for the Ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn (chart value ingress.wafAclArn)."
  value       = aws_wafv2_web_acl.this.arn
}

output "certificate_arn" {
  description = "Validated certificate for the Ingress annotation alb.ingress.kubernetes.io/certificate-arn (chart value ingress.certificateArn)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "trail_arn" {
  description = "ARN of the multi-region CloudTrail trail."
  value       = aws_cloudtrail.this.arn
}

output "trail_bucket_name" {
  description = "Bucket receiving the CloudTrail log files."
  value       = aws_s3_bucket.trail.id
}

output "backup_vault_arn" {
  description = "Primary backup vault."
  value       = aws_backup_vault.this.arn
}

output "backup_copy_vault_arn" {
  description = "Cross-region copy vault (null when copies are off)."
  value       = try(aws_backup_vault.copy[0].arn, null)
}

output "backup_plan_id" {
  description = "ID of the daily backup plan."
  value       = aws_backup_plan.this.id
}
