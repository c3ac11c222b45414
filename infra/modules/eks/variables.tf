variable "name" {
  description = "Cluster name, and prefix of every IAM role and log group of the cluster (e.g. depot-dev)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the managed node group."
  type        = string
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as \"1.33\"."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster (network module output vpc_id)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (one per AZ) for the control-plane ENIs and the nodes."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "private_subnet_ids must list at least two subnet ids (subnet-...), in different AZs."
  }
}

variable "endpoint_public_access" {
  description = "Expose the API server endpoint publicly (restricted to public_access_cidrs). false = private only (prod): reach it from inside the VPC or over a VPN."
  type        = bool
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach a public API endpoint (office or VPN egress). Never 0.0.0.0/0."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be IPv4 CIDRs and must not contain 0.0.0.0/0; list the office or VPN egress ranges."
  }
}

variable "node_group" {
  description = "The managed node group for system pods (Karpenter, CoreDNS, controllers); workload capacity comes from Karpenter."
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    capacity_type  = optional(string, "ON_DEMAND")
    disk_size_gib  = optional(number, 50)
  })

  validation {
    condition     = var.node_group.min_size >= 1 && var.node_group.min_size <= var.node_group.desired_size && var.node_group.desired_size <= var.node_group.max_size
    error_message = "node_group sizes must satisfy 1 <= min_size <= desired_size <= max_size."
  }

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_group.capacity_type) && length(var.node_group.instance_types) > 0
    error_message = "node_group.capacity_type must be ON_DEMAND or SPOT, and instance_types must not be empty."
  }
}

variable "log_retention_days" {
  description = "Days the control-plane logs (including the Kubernetes audit log) are kept in CloudWatch Logs."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (e.g. 30, 90, 365)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the control-plane log group (the environment's log key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "karpenter_discovery_tag" {
  description = "Value of the karpenter.sh/discovery tag on the subnets and the node security group (the EC2NodeClass selects on it)."
  type        = string
  default     = "depot"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]+$", var.karpenter_discovery_tag))
    error_message = "karpenter_discovery_tag must be a plain tag value (letters, digits, . _ -)."
  }
}

variable "karpenter_node_role_name" {
  description = "Name of the IAM role of the nodes Karpenter launches (the EC2NodeClass's spec.role)."
  type        = string
  default     = "depot-karpenter-node"

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.karpenter_node_role_name))
    error_message = "karpenter_node_role_name must be a valid IAM role name."
  }
}

variable "external_secrets_prefixes" {
  description = "Secrets Manager name prefixes External Secrets Operator may read (e.g. platform/); it gets nothing else."
  type        = list(string)
  default     = ["platform/"]

  validation {
    condition     = alltrue([for p in var.external_secrets_prefixes : can(regex("^[a-zA-Z0-9/_+=.@-]+/$", p))])
    error_message = "external_secrets_prefixes must be secret-name prefixes ending in '/' without wildcards (e.g. \"platform/\")."
  }
}

variable "logs_bucket_name" {
  description = "S3 bucket this module creates for Loki's log chunks (the log pipeline's storage); Loki's IRSA role may use only it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.logs_bucket_name))
    error_message = "logs_bucket_name must be a valid S3 bucket name (e.g. depot-dev-logs-111111111111)."
  }
}

variable "logs_force_destroy" {
  description = "Let `terraform destroy` delete the Loki bucket with its chunks (dev); false keeps logs from being lost by accident."
  type        = bool
  default     = false
}

variable "deny_insecure_transport" {
  description = "Attach the TLS-only bucket policy to the Loki bucket. false only against an AWS API emulator, which ignores the policy's condition."
  type        = bool
  default     = true
}

variable "access" {
  description = <<-EOT
    Who reaches the Kubernetes API, through EKS access entries (no aws-auth ConfigMap, no
    creator admin): platform_admin_role_arns get cluster admin; developer_role_arns are
    mapped to the Kubernetes groups <namespace>-developers-view for each of
    developer_namespaces, plus <namespace>-developers-edit when developer_access is "edit"
    (the namespaces' RoleBindings grant them view and edit); argocd_role_arn (only when
    Argo CD runs in another cluster) gets its own entry. CI gets none.
  EOT
  type = object({
    platform_admin_role_arns = list(string)
    developer_role_arns      = list(string)
    developer_access         = string
    developer_namespaces     = optional(list(string), [])
    argocd_role_arn          = optional(string)
  })

  validation {
    condition     = contains(["view", "edit"], var.access.developer_access)
    error_message = "access.developer_access must be \"view\" (read-only, prod) or \"edit\" (namespace-scoped, dev)."
  }

  validation {
    condition     = length(var.access.developer_role_arns) == 0 || length(var.access.developer_namespaces) > 0
    error_message = "access.developer_namespaces must list the namespaces developers work in (their groups are bound there); cluster-wide developer access is not offered."
  }

  validation {
    condition     = alltrue([for arn in concat(var.access.platform_admin_role_arns, var.access.developer_role_arns) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", arn)) && !can(regex(":role/depot-ci-", arn))])
    error_message = "access role ARNs must be IAM role ARNs, and CI roles (depot-ci-*) must not be given cluster access: Argo CD pulls from Git."
  }
}

variable "create_addons" {
  description = "Manage the EKS add-ons (VPC CNI with network policy enforcement, CoreDNS, kube-proxy, EBS CSI). false only against an AWS API emulator that lacks the add-on API."
  type        = bool
  default     = true
}

variable "create_access_entries" {
  description = "Manage the EKS access entries and policy associations. false only against an AWS API emulator that lacks the access-entry API."
  type        = bool
  default     = true
}

variable "tag_cluster_security_group" {
  description = "Tag the EKS-created cluster security group for Karpenter's discovery. false only against an AWS API emulator that does not report that group."
  type        = bool
  default     = true
}

# The upstream releases exist (checked against each project's git tags: vpc-cni v1.19.5
# in aws/amazon-vpc-cni-k8s, coredns v1.12.1 in coredns/coredns, v1.44.0 in
# kubernetes-sigs/aws-ebs-csi-driver; kube-proxy is Kubernetes v1.33.0). UNVERIFIED: the
# `-eksbuild.N` suffix is AWS's own build, listed only by the EKS API, which is not
# reachable where these were written: confirm them with `aws eks
# describe-addon-versions --kubernetes-version 1.33` before the first real apply
# (docs/infra.md, "Day one", step 0); EKS refuses an unknown version at once, it does
# not pick another.
variable "addon_versions" {
  description = "Pinned EKS add-on versions, one for each managed add-on (vpc-cni, kube-proxy, coredns, aws-ebs-csi-driver). Pinned so that a plan never changes an add-on by itself; raise them with the Kubernetes version."
  type        = map(string)
  default = {
    vpc-cni            = "v1.19.5-eksbuild.1"
    kube-proxy         = "v1.33.0-eksbuild.2"
    coredns            = "v1.12.1-eksbuild.2"
    aws-ebs-csi-driver = "v1.44.0-eksbuild.1"
  }

  validation {
    condition     = toset(keys(var.addon_versions)) == toset(["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"]) && alltrue([for v in values(var.addon_versions) : can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", v))])
    error_message = "addon_versions must pin exactly vpc-cni, coredns, kube-proxy and aws-ebs-csi-driver, each to vX.Y.Z-eksbuild.N (see `aws eks describe-addon-versions`)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every role of this module carries (ci-identity's workload boundary): the CI apply role may create and change roles only with it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be the ARN of a customer-managed IAM policy (arn:aws:iam::ACCOUNT:policy/NAME), e.g. ci-identity's workload_boundary_arn output."
  }
}

variable "retain_audit_logs" {
  description = "Keep the audit log groups when the root is destroyed (skip_destroy): an audit trail must outlive what it audits. false only against an AWS API emulator, whose tests check that destroy leaves nothing."
  type        = bool
  default     = true
}
