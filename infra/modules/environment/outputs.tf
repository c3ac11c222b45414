output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "API server endpoint of the cluster."
  value       = module.eks.cluster_endpoint
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "public_subnet_cidrs" {
  description = "CIDRs of the public subnets, where the ALB's nodes live (chart value networkPolicy.ingressCidrs)."
  value       = module.network.public_subnet_cidrs
}

output "certificate_arn" {
  description = "Certificate of the services' host names SERVICE.ZONE (chart value ingress.certificateArn)."
  value       = module.edge_and_audit.certificate_arn
}

output "waf_acl_arn" {
  description = "Web ACL of the environment (chart value ingress.wafAclArn)."
  value       = module.edge_and_audit.waf_acl_arn
}

output "services" {
  description = "Map service => the names its deployment needs: IRSA role, table, bucket, secret, key alias."
  value = { for s in var.services : s => {
    role_arn    = module.identity[s].role_arn
    table_name  = module.data[s].table_name
    bucket_name = module.data[s].bucket_name
    secret_name = module.data[s].secret_name
    kms_alias   = module.data[s].kms_alias
  } }
}

output "gitops_values" {
  description = "Map service => the chart values this environment's infrastructure decides, keyed as in gitops/environments/ENV/SERVICE.yaml."
  value = { for s in var.services : s => {
    serviceAccount = { roleArn = module.identity[s].role_arn }
    env = {
      "${upper(replace(s, "-", "_"))}_TABLE_NAME"     = module.data[s].table_name
      "${upper(replace(s, "-", "_"))}_BUCKET_NAME"    = module.data[s].bucket_name
      "${upper(replace(s, "-", "_"))}_KEYS_SECRET_ID" = module.data[s].secret_name
      AWS_REGION                                      = local.region
    }
    ingress = {
      host           = "${s}.${var.dns_zone_name}"
      certificateArn = module.edge_and_audit.certificate_arn
      wafAclArn      = module.edge_and_audit.waf_acl_arn
    }
    networkPolicy = { ingressCidrs = module.network.public_subnet_cidrs }
  } }
}

output "platform_roles" {
  description = "IRSA roles of the platform components (for the add-on values in gitops/platform/addons)."
  value       = module.eks.irsa_role_arns
}

output "karpenter" {
  description = "What the Karpenter chart and EC2NodeClass need: interruption queue, node role, discovery tag."
  value = {
    interruption_queue = module.eks.karpenter_interruption_queue
    node_role_name     = module.eks.karpenter_node_role_name
    discovery_tag      = var.platform_name
    controller_role    = module.eks.irsa_role_arns["karpenter"]
  }
}

output "loki_bucket_name" {
  description = "Loki's chunk bucket (value loki.storage.bucketNames)."
  value       = module.eks.logs_bucket_name
}

output "ci_roles" {
  description = "This account's Terraform plan and apply roles for GitHub Actions."
  value = {
    plan  = module.ci.terraform_plan_role_arn
    apply = module.ci.terraform_apply_role_arn
  }
}

output "key_admin_policy_arns" {
  description = "Map service => managed policy for operators of the key CLI."
  value       = { for s in var.services : s => module.identity[s].key_admin_policy_arn }
}

output "event_services" {
  description = "Map event service => what its deployment needs (the hand-off to its GitOps values): IRSA role (serviceAccount.roleArn), queue URL (the worker's queue and KEDA's queueURL), queue and dead-letter queue names (the alerts' selectors), dead-letter queue URL (redrive)."
  value = { for s, _ in var.event_services : s => {
    role_arn               = module.event_identity[s].role_arn
    queue_url              = module.events[s].queue_url
    queue_name             = module.events[s].queue_name
    dead_letter_queue_url  = module.events[s].dead_letter_queue_url
    dead_letter_queue_name = module.events[s].dead_letter_queue_name
    aws_region             = local.region
  } }
}

output "keda_operator_role_arn" {
  description = "IRSA role of KEDA's operator (keda chart value serviceAccount.operator annotation eks.amazonaws.com/role-arn): reads the event queues' depth only; null without event services."
  value       = one(aws_iam_role.keda[*].arn)
}
