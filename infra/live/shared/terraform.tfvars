account_id        = "444444444444"
github_repository = "example-org/depot-platform"
services          = ["depot", "verifier"]

environment_account_ids = {
  dev     = "111111111111"
  staging = "222222222222"
  prod    = "333333333333"
}
