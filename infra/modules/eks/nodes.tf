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
  name               = "${var.name}-node"
  assume_role_policy = data.aws_iam_policy_document.node_trust.json
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
  name_prefix = "${var.name}-system-"
  description = "System node group of ${var.name}: IMDSv2 only, one hop, encrypted root volume"

  # One hop: pods cannot reach the instance metadata service, so they cannot borrow the
  # node's role; they use IRSA.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
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

  depends_on = [aws_iam_role_policy_attachment.node]
}
