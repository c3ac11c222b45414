# Who may reach the Kubernetes API. Humans and machines are separate entries with
# separate policies; nobody shares an admin identity, and CI has no entry at all (Argo CD
# pulls from Git inside the cluster, with its own Kubernetes RBAC).
#
# Developers get no EKS access policy: their entry maps them to Kubernetes groups
# (<namespace>-developers-view, and -edit where developer_access is "edit"), and what
# those groups may do is defined once, as RoleBindings in gitops/platform/namespaces/.

locals {
  eks_policy = "arn:${local.partition}:eks::aws:cluster-access-policy"

  access_entries = merge(
    { for arn in var.access.platform_admin_role_arns : arn => {
      policy     = "AmazonEKSClusterAdminPolicy"
      scope      = "cluster"
      namespaces = []
    } },
    # Only for an Argo CD in another (hub) cluster: its own role, its own entry.
    var.access.argocd_role_arn == null ? {} : { (var.access.argocd_role_arn) = {
      policy     = "AmazonEKSClusterAdminPolicy"
      scope      = "cluster"
      namespaces = []
    } },
  )
}

locals {
  developer_groups = flatten([for ns in var.access.developer_namespaces : concat(
    ["${ns}-developers-view"],
    var.access.developer_access == "edit" ? ["${ns}-developers-edit"] : [],
  )])
}

resource "aws_eks_access_entry" "developer" {
  for_each          = var.create_access_entries ? toset(var.access.developer_role_arns) : toset([])
  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = each.key
  type              = "STANDARD"
  kubernetes_groups = local.developer_groups
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
