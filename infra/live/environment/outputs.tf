output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.environment.cluster_name
}

output "cluster_endpoint" {
  description = "API server endpoint of the cluster."
  value       = module.environment.cluster_endpoint
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.environment.vpc_id
}

output "public_subnet_cidrs" {
  description = "CIDRs of the public subnets, where the ALB's nodes live (chart value networkPolicy.ingressCidrs)."
  value       = module.environment.public_subnet_cidrs
}

output "certificate_arn" {
  description = "Wildcard certificate of the environment's zone (chart value ingress.certificateArn)."
  value       = module.environment.certificate_arn
}

output "waf_acl_arn" {
  description = "Web ACL of the environment (chart value ingress.wafAclArn)."
  value       = module.environment.waf_acl_arn
}

output "services" {
  description = "Map service => the names its deployment needs: IRSA role, table, bucket, secret, key alias."
  value       = module.environment.services
}

output "gitops_values" {
  description = "Map service => the chart values this environment's infrastructure decides, keyed as in gitops/environments/ENV/SERVICE.yaml."
  value       = module.environment.gitops_values
}

output "platform_roles" {
  description = "IRSA roles of the platform components (for the add-on values in gitops/platform/addons)."
  value       = module.environment.platform_roles
}

output "karpenter" {
  description = "What the Karpenter chart and EC2NodeClass need: interruption queue, node role, discovery tag."
  value       = module.environment.karpenter
}

output "loki_bucket_name" {
  description = "Loki's chunk bucket (value loki.storage.bucketNames)."
  value       = module.environment.loki_bucket_name
}

output "ci_roles" {
  description = "This account's Terraform plan and apply roles for GitHub Actions."
  value       = module.environment.ci_roles
}

output "key_admin_policy_arns" {
  description = "Map service => managed policy for operators of the key CLI."
  value       = module.environment.key_admin_policy_arns
}

output "event_services" {
  description = "Map event service => IRSA role, queue URL and name, dead-letter queue URL and name, region (the hand-off to its GitOps values)."
  value       = module.environment.event_services
}

output "keda_operator_role_arn" {
  description = "IRSA role of KEDA's operator: reads the event queues' depth only."
  value       = module.environment.keda_operator_role_arn
}
