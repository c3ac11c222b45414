# The edge (a WAF web ACL and a TLS certificate, whose ARNs go to the Ingress
# annotations: the AWS Load Balancer Controller owns the ALB, so Terraform creates no ALB
# and no WAF association) and the audit trail of the account (CloudTrail), plus AWS
# Backup of the services' data.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"
}

# --- WAF: AWS managed rule groups plus a per-IP rate limit.

locals {
  # The core rule set's rules that inspect the request body (AWS WAF Developer Guide,
  # "Baseline rule groups" > "Core rule set (CRS) managed rule group"; names checked
  # against that table and against published rule_action_override examples).
  body_rules = [
    "SizeRestrictions_BODY",
    "CrossSiteScripting_BODY",
    "GenericLFI_BODY",
    "GenericRFI_BODY",
    "EC2MetaDataSSRF_BODY",
  ]
}

# Paths whose request body is binary content (document uploads): see the rule below.
resource "aws_wafv2_regex_pattern_set" "binary_bodies" {
  name        = "${var.name}-binary-bodies"
  description = "URI paths of ${var.name} that take binary request bodies"
  scope       = "REGIONAL"

  dynamic "regular_expression" {
    for_each = var.binary_body_path_regexes
    content {
      regex_string = regular_expression.value
    }
  }
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "Edge protection of ${var.name}: AWS managed rules and a per-IP rate limit"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }

  # The core rule set everywhere except on the binary-body paths. Its *_BODY rules read
  # the body as text and SizeRestrictions_BODY blocks any body over 8 KB (AWS WAF
  # Developer Guide, "Baseline rule groups", core rule set table): right for JSON, wrong
  # for document uploads, which would all get 403 at the ALB.
  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        scope_down_statement {
          not_statement {
            statement {
              regex_pattern_set_reference_statement {
                arn = aws_wafv2_regex_pattern_set.binary_bodies.arn

                field_to_match {
                  uri_path {}
                }

                text_transformation {
                  priority = 0
                  type     = "NONE"
                }
              }
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # The same rule set on the binary-body paths, with only the body rules set to count
  # (still visible in the metrics and logs): the header, cookie, query and path rules
  # keep blocking there too.
  rule {
    name     = "AWSManagedRulesCommonRuleSet-binary-bodies"
    priority = 21

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        dynamic "rule_action_override" {
          for_each = local.body_rules
          content {
            name = rule_action_override.value

            action_to_use {
              count {}
            }
          }
        }

        scope_down_statement {
          regex_pattern_set_reference_statement {
            arn = aws_wafv2_regex_pattern_set.binary_bodies.arn

            field_to_match {
              uri_path {}
            }

            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesCommonRuleSet-binary-bodies"
      sampled_requests_enabled   = true
    }
  }

  # Includes the Log4j (Log4Shell) message-lookup rules.
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 40

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

# WAF requires the aws-waf-logs- prefix on its log destinations.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  # Never log credentials.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}

# --- TLS certificate, validated through DNS (renews by itself while the records stay).

resource "aws_acm_certificate" "this" {
  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "certificate_validation" {
  for_each = {
    for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => {
      name   = o.resource_record_name
      type   = o.resource_record_type
      record = o.resource_record_value
    }
  }
  zone_id         = var.zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.certificate_validation : r.fqdn]
}
