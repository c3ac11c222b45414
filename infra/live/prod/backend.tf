# State in the shared account's bucket (infra/live/shared/bootstrap), locked with an S3
# lock file. Only the key differs between the environment roots.
# The state key (bootstrap output state_kms_key_arn). Without it `encrypt` means
# SSE-S3 and the key and its policy protect nothing; an alias would resolve in the
# caller's account, so cross-account roots must name the key ARN. Replace the key id
# after the bootstrap (docs/infra.md, "Day one", step 2).
terraform {
  backend "s3" {
    bucket       = "depot-tfstate-444444444444"
    key          = "live/prod/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-west-1:444444444444:key/00000000-0000-4000-8000-000000000000"
    use_lockfile = true
  }
}
