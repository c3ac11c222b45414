terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Local state on purpose: this root creates the bucket every other root keeps its
  # state in. After the first apply, move this state into the bucket it created:
  #   terraform init -migrate-state -backend-config=backend.hcl (see docs/infra.md).
}
