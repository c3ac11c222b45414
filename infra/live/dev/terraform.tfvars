# dev: cheapest shape that still has every moving part (one NAT, small nodes), developers
# may edit their services' namespaces, nothing is deletion-protected.
account_id        = "111111111111"
environment       = "dev"
services          = ["depot"]
event_services    = { verifier = { source_service = "depot" } } # verifies stored content (ADR 0028)
github_repository = "example-org/depot-platform"
state_account_id  = "444444444444"

availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.10.0.0/16"
nat_gateway_count  = 1

kubernetes_version             = "1.33"
cluster_endpoint_public_access = true
cluster_public_access_cidrs    = ["203.0.113.0/24"] # office/VPN egress (documentation range)
system_node_group = {
  instance_types = ["t3.large"]
  min_size       = 1
  max_size       = 3
  desired_size   = 2
}

platform_admin_role_arns = ["arn:aws:iam::111111111111:role/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
developer_role_arns      = ["arn:aws:iam::111111111111:role/AWSReservedSSO_Developer_0123456789abcdef"]
developer_access         = "edit"

dns_zone_name = "dev.example.com"
# The delegated zone of dns_zone_name, made before the first apply (docs/infra.md, "Day one").
dns_zone_id    = "Z0DEVEXAMPLEZONE0000"
waf_rate_limit = 2000

deletion_protection         = false
log_retention_days          = 30
trail_retention_days        = 90
backup_retention_days       = 7
backup_copy_to_other_region = false
