output "role_arn" {
  description = "ARN of the IRSA role (chart value serviceAccount.roleArn)."
  value       = aws_iam_role.service.arn
}

output "role_name" {
  description = "Name of the IRSA role."
  value       = aws_iam_role.service.name
}

output "key_admin_policy_arn" {
  description = "Managed policy for operators who run the key CLI (attach it to their permission set)."
  value       = aws_iam_policy.key_admin.arn
}

output "service_account_subject" {
  description = "The only token subject the role trusts (system:serviceaccount:NAMESPACE:NAME)."
  value       = "system:serviceaccount:${var.namespace}:${var.service_account}"
}
