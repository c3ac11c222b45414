output "role_arn" {
  description = "ARN of the worker's IRSA role (chart value serviceAccount.roleArn)."
  value       = aws_iam_role.worker.arn
}

output "role_name" {
  description = "Name of the role (SERVICE-ENV)."
  value       = aws_iam_role.worker.name
}

output "service_account_subject" {
  description = "The only token subject the role trusts (system:serviceaccount:NAMESPACE:NAME)."
  value       = "system:serviceaccount:${var.namespace}:${var.service_account}"
}
