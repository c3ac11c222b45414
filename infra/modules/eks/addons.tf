# EKS add-ons. The VPC CNI runs with enableNetworkPolicy, so the chart's NetworkPolicies
# are enforced (without it they are accepted and silently ignored).
#
# Order matters on a real account. A node turns Ready only once the VPC CNI runs on it,
# and the node role holds no CNI rights (nodes.tf): the CNI uses its own IRSA role. So
# the vpc-cni and kube-proxy add-ons (DaemonSets, healthy with zero nodes) are created
# *before* the node group, which depends on them; CoreDNS and the EBS CSI controller are
# Deployments that need nodes, so they come after. With the CNI after the nodes (the old
# order) the nodes stay NotReady, the node group fails and the add-on is never created.

locals {
  addons_before_nodes = {
    vpc-cni = {
      role = aws_iam_role.irsa["vpc-cni"].arn
      # Both the agent flag and the controller: policies enforced on every node.
      configuration = jsonencode({ enableNetworkPolicy = "true" })
    }
    kube-proxy = { role = null, configuration = null }
  }
  addons_after_nodes = {
    coredns = { role = null, configuration = null }
    aws-ebs-csi-driver = {
      role          = aws_iam_role.irsa["ebs-csi"].arn
      configuration = null
    }
  }
}

resource "aws_eks_addon" "before_nodes" {
  for_each                    = var.create_addons ? local.addons_before_nodes : {}
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = var.addon_versions[each.key]
  service_account_role_arn    = each.value.role
  configuration_values        = each.value.configuration
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  # The IRSA role's policy must be attached before the CNI's pods start with it.
  depends_on = [aws_iam_role_policy_attachment.irsa]
}

resource "aws_eks_addon" "after_nodes" {
  for_each                    = var.create_addons ? local.addons_after_nodes : {}
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = var.addon_versions[each.key]
  service_account_role_arn    = each.value.role
  configuration_values        = each.value.configuration
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  # CoreDNS and the CSI controller are Deployments: they need nodes to become healthy.
  depends_on = [aws_eks_node_group.system]
}
