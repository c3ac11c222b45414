# State in the bucket created by ./bootstrap, locked with an S3 lock file (no DynamoDB).
terraform {
  backend "s3" {
    bucket       = "depot-tfstate-444444444444"
    key          = "live/shared/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
