# State in the shared account's bucket (infra/live/shared/bootstrap), locked with an S3
# lock file. Only the key differs between the environment roots.
terraform {
  backend "s3" {
    bucket       = "depot-tfstate-444444444444"
    key          = "live/prod/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
