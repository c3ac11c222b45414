# staging: prod's shape (three NATs, one per AZ; private API endpoint; read-only
# developers) at a smaller size, so a promotion rehearses prod's failure modes.
account_id        = "222222222222"
environment       = "staging"
services          = ["depot"]
event_services    = { verifier = { source_service = "depot" } } # verifies stored content (ADR 0028)
github_repository = "example-org/depot-platform"
state_account_id  = "444444444444"

availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.20.0.0/16"
nat_gateway_count  = 3

kubernetes_version             = "1.33"
cluster_endpoint_public_access = false
cluster_public_access_cidrs    = []
system_node_group = {
  instance_types = ["m6i.large"]
  min_size       = 2
  max_size       = 4
  desired_size   = 2
}

platform_admin_role_arns = ["arn:aws:iam::222222222222:role/AWSReservedSSO_PlatformAdmin_0123456789abcdef"]
developer_role_arns      = ["arn:aws:iam::222222222222:role/AWSReservedSSO_Developer_0123456789abcdef"]
developer_access         = "view"

dns_zone_name = "staging.example.com"
# The delegated zone of dns_zone_name, made before the first apply (docs/infra.md, "Day one").
dns_zone_id    = "Z0STAGINGEXAMPLEZONE0000"
waf_rate_limit = 2000

deletion_protection         = true
log_retention_days          = 90
trail_retention_days        = 365
backup_retention_days       = 14
backup_copy_to_other_region = false
