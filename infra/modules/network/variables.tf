variable "name" {
  description = "Name of the network and prefix of its resources (e.g. depot-dev); also the EKS cluster name its subnets are tagged for."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "VPC CIDR (/16): three public /24s (ALB, NAT) and three private /18s (nodes and pods), one of each per AZ."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) == 16, false)
    error_message = "cidr_block must be an IPv4 /16 (e.g. 10.10.0.0/16): pods take VPC addresses, and the subnet layout assumes a /16."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones of the region (one public and one private subnet each)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3 && length(distinct(var.availability_zones)) == 3
    error_message = "availability_zones must list three distinct zones (e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"])."
  }
}

variable "nat_gateway_count" {
  description = "NAT gateways: 1 (one shared, cheaper, an AZ outage cuts egress) or 3 (one per AZ, prod)."
  type        = number

  validation {
    condition     = contains([1, 3], var.nat_gateway_count)
    error_message = "nat_gateway_count must be 1 (single NAT, dev) or 3 (one per AZ, prod)."
  }
}

variable "interface_endpoints" {
  description = "Services reached through interface VPC endpoints (private DNS), so image pulls, STS and secret reads never cross the NAT."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "sts", "secretsmanager"]

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoints must be service suffixes such as \"ecr.api\" or \"sts\"."
  }
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key that encrypts the flow-log group (the environment's log key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "karpenter_discovery_tag" {
  description = "Value of the karpenter.sh/discovery tag on the private subnets (the EC2NodeClass's subnetSelectorTerms)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]+$", var.karpenter_discovery_tag))
    error_message = "karpenter_discovery_tag must be a plain tag value (letters, digits, . _ -)."
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
