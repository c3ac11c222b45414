# EKS add-ons. The VPC CNI runs with enableNetworkPolicy, so the chart's NetworkPolicies
# are enforced (without it they are accepted and silently ignored).

locals {
  addons = {
    vpc-cni = {
      role = aws_iam_role.irsa["vpc-cni"].arn
      # Both the agent flag and the controller: policies enforced on every node.
      configuration = jsonencode({ enableNetworkPolicy = "true" })
    }
    kube-proxy = { role = null, configuration = null }
    coredns    = { role = null, configuration = null }
    aws-ebs-csi-driver = {
      role          = aws_iam_role.irsa["ebs-csi"].arn
      configuration = null
    }
  }
}

resource "aws_eks_addon" "this" {
  for_each                    = var.create_addons ? local.addons : {}
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = lookup(var.addon_versions, each.key, null)
  service_account_role_arn    = each.value.role
  configuration_values        = each.value.configuration
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  # CoreDNS and the CSI controller are Deployments: they need nodes to become healthy.
  depends_on = [aws_eks_node_group.system]
}
