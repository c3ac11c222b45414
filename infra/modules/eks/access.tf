# Who may reach the Kubernetes API. Humans and machines are separate entries with
# separate policies; nobody shares an admin identity, and CI has no entry at all (Argo CD
# pulls from Git inside the cluster, with its own Kubernetes RBAC).

locals {
  eks_policy = "arn:${local.partition}:eks::aws:cluster-access-policy"

  access_entries = merge(
    { for arn in var.access.platform_admin_role_arns : arn => {
      policy     = "AmazonEKSClusterAdminPolicy"
      scope      = "cluster"
      namespaces = []
    } },
    { for arn in var.access.developer_role_arns : arn => {
      policy     = var.access.developer_access == "edit" ? "AmazonEKSEditPolicy" : "AmazonEKSViewPolicy"
      scope      = var.access.developer_access == "edit" ? "namespace" : "cluster"
      namespaces = var.access.developer_access == "edit" ? var.access.developer_namespaces : []
    } },
    # Only for an Argo CD in another (hub) cluster: its own role, its own entry.
    var.access.argocd_role_arn == null ? {} : { (var.access.argocd_role_arn) = {
      policy     = "AmazonEKSClusterAdminPolicy"
      scope      = "cluster"
      namespaces = []
    } },
  )
}

resource "aws_eks_access_entry" "this" {
  for_each      = var.create_access_entries ? local.access_entries : {}
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.key
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "this" {
  for_each      = var.create_access_entries ? local.access_entries : {}
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.this[each.key].principal_arn
  policy_arn    = "${local.eks_policy}/${each.value.policy}"

  access_scope {
    type       = each.value.scope
    namespaces = each.value.scope == "namespace" ? each.value.namespaces : null
  }
}
