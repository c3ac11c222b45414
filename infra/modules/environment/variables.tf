variable "platform_name" {
  description = "Name of the platform; with the environment it names the VPC, the cluster and the edge (PLATFORM-ENV, e.g. depot-dev)."
  type        = string
  default     = "depot"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.platform_name))
    error_message = "platform_name must be 3-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "services" {
  description = "Services hosted in the environment; each gets its bucket, table, secret, key (service-data) and IRSA role (service-identity)."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", s))])
    error_message = "services must be a non-empty list of service names (lowercase letters, digits, hyphens; e.g. [\"depot\"])."
  }
}

variable "availability_zones" {
  description = "The three availability zones the VPC spans."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "availability_zones must list exactly three zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the environment's VPC (distinct per environment so they can be peered later)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR such as 10.10.0.0/16."
  }
}

variable "nat_gateway_count" {
  description = "1 (dev: one shared NAT) or 3 (staging/prod: one per AZ, no cross-AZ egress dependency)."
  type        = number

  validation {
    condition     = contains([1, 3], var.nat_gateway_count)
    error_message = "nat_gateway_count must be 1 or 3."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as \"1.33\"."
  }
}

variable "cluster_endpoint_public_access" {
  description = "Public API endpoint (restricted to cluster_public_access_cidrs); false = private endpoint only (prod)."
  type        = bool
}

variable "cluster_public_access_cidrs" {
  description = "CIDRs allowed to reach a public API endpoint (office/VPN egress); empty when the endpoint is private."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.cluster_public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "cluster_public_access_cidrs must be IPv4 CIDRs other than 0.0.0.0/0."
  }
}

variable "system_node_group" {
  description = "Size of the managed node group for system pods (workloads run on Karpenter's nodes)."
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  })

  validation {
    condition     = var.system_node_group.min_size >= 1 && var.system_node_group.min_size <= var.system_node_group.desired_size && var.system_node_group.desired_size <= var.system_node_group.max_size
    error_message = "system_node_group sizes must satisfy 1 <= min_size <= desired_size <= max_size."
  }
}

variable "platform_admin_role_arns" {
  description = "Roles of the platform administrators (SSO permission-set roles): cluster admin, each with its own access entry."
  type        = list(string)

  validation {
    condition     = alltrue([for a in var.platform_admin_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "platform_admin_role_arns must be IAM role ARNs."
  }
}

variable "developer_role_arns" {
  description = "Roles of the developers (SSO permission-set roles)."
  type        = list(string)

  validation {
    condition     = alltrue([for a in var.developer_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "developer_role_arns must be IAM role ARNs."
  }
}

variable "developer_access" {
  description = "\"edit\" (dev: edit, only in the services' namespaces) or \"view\" (staging/prod: read-only, cluster-wide)."
  type        = string

  validation {
    condition     = contains(["view", "edit"], var.developer_access)
    error_message = "developer_access must be \"view\" or \"edit\"."
  }
}

variable "dns_zone_name" {
  description = "The environment's DNS zone (e.g. dev.example.com), delegated before the first apply; services live at SERVICE.ZONE."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", var.dns_zone_name))
    error_message = "dns_zone_name must be a lowercase DNS name such as dev.example.com."
  }
}

variable "dns_zone_id" {
  description = "Route 53 hosted zone id of dns_zone_name, created and delegated from the parent zone before the first apply (the certificate is validated in it)."
  type        = string

  validation {
    condition     = can(regex("^[A-Z0-9]{8,32}$", var.dns_zone_id))
    error_message = "dns_zone_id must be the id of the delegated hosted zone of dns_zone_name (uppercase letters and digits, e.g. Z0123456789ABCDEFGHIJ), not its name."
  }
}

variable "waf_binary_body_path_regexes" {
  description = "Anchored regexes of the URI paths that take binary request bodies (document uploads); the WAF core rule set's body rules only count there."
  type        = list(string)
  default     = ["^/v1/documents/[^/]+/content$"]

  validation {
    condition     = length(var.waf_binary_body_path_regexes) > 0 && alltrue([for r in var.waf_binary_body_path_regexes : startswith(r, "^/") && endswith(r, "$")])
    error_message = "waf_binary_body_path_regexes must be a non-empty list of anchored path regexes, each starting with ^/ and ending with $ (e.g. \"^/v1/documents/[^/]+/content$\")."
  }
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which the WAF blocks the IP."
  type        = number

  validation {
    condition     = var.waf_rate_limit >= 100
    error_message = "waf_rate_limit must be at least 100 (the AWS WAF minimum)."
  }
}

variable "deletion_protection" {
  description = "Protect the services' data from `terraform destroy` (prod)."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (control plane/audit, flow logs, WAF, CloudTrail)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (e.g. 30, 90, 365)."
  }
}

variable "trail_retention_days" {
  description = "Days CloudTrail log files are kept."
  type        = number

  validation {
    condition     = var.trail_retention_days >= 90
    error_message = "trail_retention_days must be at least 90."
  }
}

variable "backup_retention_days" {
  description = "Days each daily AWS Backup recovery point is kept."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 1
    error_message = "backup_retention_days must be at least 1."
  }
}

variable "backup_copy_to_other_region" {
  description = "Copy backups to the aws.backup_copy region (prod)."
  type        = bool
}

variable "github_repository" {
  description = "GitHub repository (OWNER/NAME) whose plan/apply workflows get this account's CI roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/NAME."
  }
}

variable "state_account_id" {
  description = "Account holding the Terraform state bucket (the shared account)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.state_account_id))
    error_message = "state_account_id must be a 12-digit AWS account id."
  }
}

variable "aws_api_emulator" {
  description = "true only against an AWS API emulator (the platform tests): leaves out what the emulator lacks (EKS add-ons, access entries, backup selections) or mis-evaluates (TLS-only deny statements), and lets destroy empty buckets and vaults. Never true for a real account."
  type        = bool
  default     = false
}

variable "event_services" {
  description = "Event-driven services (no ingress) => their source: each gets a queue and dead-letter queue fed by the source service's content bucket (ObjectCreated under source_prefix/), and an IRSA role that consumes the queue, reads the announced objects and the read_attributes of the source's records, and writes only their verdict_attributes. One entry per environment, e.g. { verifier = { source_service = \"depot\" } }."
  type = map(object({
    source_service             = string
    source_prefix              = optional(string, "tenants")
    max_processing_seconds     = optional(number, 300)
    visibility_timeout_seconds = optional(number, 900)
    max_receive_count          = optional(number, 5)
    read_attributes            = optional(list(string), ["size", "sha256", "content_key", "content_type"])
    verdict_attributes         = optional(list(string), ["integrity", "integrity_checked_at", "integrity_detail"])
  }))
  default = {}

  validation {
    condition     = alltrue([for name, e in var.event_services : can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", name)) && !contains(var.services, name)])
    error_message = "event_services keys must be service names (3-22 lowercase letters, digits or hyphens) that are not also in services: both would own the role SERVICE-ENV."
  }

  validation {
    condition     = alltrue([for e in values(var.event_services) : contains(var.services, e.source_service)])
    error_message = "event_services: each source_service must be one of services (the service whose content bucket sends the events)."
  }

  validation {
    condition     = length(distinct([for e in values(var.event_services) : e.source_service])) == length(var.event_services)
    error_message = "event_services: at most one event service per source_service. S3 refuses overlapping ObjectCreated rules in a bucket's one notification configuration; fan out through SNS or EventBridge instead."
  }
}

variable "keda_service_account" {
  description = "KEDA operator's namespace and service account (the keda chart's defaults), trusted by the role that reads the event queues' depth."
  type = object({
    namespace = string
    name      = string
  })
  default = { namespace = "keda", name = "keda-operator" }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.keda_service_account.namespace)) && can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.keda_service_account.name))
    error_message = "keda_service_account must name a Kubernetes namespace (DNS label) and service account (DNS subdomain)."
  }
}
