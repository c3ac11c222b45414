# The managed node group for system pods. Workload capacity is Karpenter's (see
# karpenter.tf); this group only has to be big enough for the controllers.

data "aws_iam_policy_document" "node_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name                 = "${var.name}-node"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.node_trust.json
}

# The VPC CNI's rights are not here: the add-on runs with its own IRSA role (irsa.tf),
# so a compromised pod on the node cannot reconfigure ENIs with the node's identity.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
  ])
  role       = aws_iam_role.node.name
  policy_arn = "${local.policy_arn}/${each.key}"
}

resource "aws_launch_template" "system" {
  #checkov:skip=CKV_AWS_341:two hops so controllers in pods reach IMDSv2 (ADR 0025, 4)
  name_prefix = "${var.name}-system-"
  description = "System node group of ${var.name}: IMDSv2 only, two hops, encrypted root volume"

  # Two hops, as EKS's own launch templates set: controllers in pods (the AWS Load
  # Balancer Controller among them) read their region and VPC from IMDSv2, which takes
  # one hop more than the node itself; with a limit of 1 their token request dies in the
  # pod network and they crash-loop. What a pod could borrow is the node role, which is
  # deliberately small (worker, ECR read, SSM; no CNI rights: the CNI has IRSA), and the
  # controllers are also given vpcId/region explicitly (gitops add-on values).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.node_group.disk_size_gib
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-system" }
  }
}

resource "aws_eks_node_group" "system" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "system"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.private_subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = var.node_group.capacity_type
  instance_types  = var.node_group.instance_types

  scaling_config {
    min_size     = var.node_group.min_size
    max_size     = var.node_group.max_size
    desired_size = var.node_group.desired_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.system.id
    version = aws_launch_template.system.latest_version
  }

  labels = { "node.depot.io/pool" = "system" }

  lifecycle {
    # desired_size moves with the cluster's load. No SSH access is configured
    # (remote_access), and update_config is not echoed back by every API implementation;
    # both would otherwise show as perpetual drift.
    ignore_changes = [scaling_config[0].desired_size, remote_access, update_config]
  }

  # The VPC CNI and kube-proxy first (addons.tf): without them no node turns Ready.
  depends_on = [aws_iam_role_policy_attachment.node, aws_eks_addon.before_nodes]
}
