terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
      # aws.backup_copy: the region that receives cross-region backup copies (prod).
      configuration_aliases = [aws.backup_copy]
    }
  }
}
