output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "API server endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority" {
  description = "Base64 CA certificate of the API server."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_security_group_id" {
  description = "The cluster security group (tagged for Karpenter discovery)."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (input of service-identity)."
  value       = aws_iam_openid_connect_provider.cluster.arn
}

output "oidc_issuer" {
  description = "OIDC issuer without https:// (prefix of the IRSA condition keys)."
  value       = local.issuer
}

output "node_role_arn" {
  description = "Role of the system node group."
  value       = aws_iam_role.node.arn
}

output "karpenter_node_role_name" {
  description = "Role of Karpenter's nodes (EC2NodeClass spec.role)."
  value       = aws_iam_role.karpenter_node.name
}

output "karpenter_interruption_queue" {
  description = "SQS queue Karpenter reads interruption events from (chart value settings.interruptionQueue)."
  value       = aws_sqs_queue.karpenter_interruption.name
}

output "irsa_role_arns" {
  description = "Map component => IRSA role ARN (karpenter, aws-load-balancer-controller, external-secrets, loki, cloudwatch-exporter, argo-rollouts, policy-controller, vpc-cni, ebs-csi)."
  value       = { for k, r in aws_iam_role.irsa : k => r.arn }
}

output "logs_bucket_name" {
  description = "Loki's chunk bucket."
  value       = aws_s3_bucket.logs.id
}

output "control_plane_log_group" {
  description = "CloudWatch log group of the control-plane logs, including the Kubernetes audit log."
  value       = aws_cloudwatch_log_group.cluster.name
}

output "access_entries" {
  description = "Map principal ARN => access policy name and scope, as configured (also when create_access_entries is false)."
  value       = { for arn, e in local.access_entries : arn => "${e.policy}:${e.scope}" }
}
