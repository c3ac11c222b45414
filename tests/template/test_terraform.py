"""The generated service's AWS side applies on moto with least privilege.

Only its own instances are applied: the service-data and service-identity modules of the
copy, for the names the copy's `services` list holds (dev's terraform.tfvars, as `make
new-service` edited it) that are the new service. The whole dev root would apply its
network, cluster and every other service too (minutes, and proven by test-infra); what
the new service adds is these two module instances, so the cost stays near one minute.
The cluster's OIDC provider and the workload boundary, which the environment root passes
in, are stood in for by one resource each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.infra import aws as awsmod
from tests.infra import iam
from tests.infra.enforcement import CONFINED, s3_isolation_in_practice
from tests.infra.tf import Terraform, terraform_binary
from tests.infra.workspace import EMULATOR_ACCOUNT_ID, FAKE_CREDENTIALS, point_root_at_emulator
from tests.support.moto import start_moto
from tests.template.conftest import Generated
from tools.service_template import listed_services

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ENVIRONMENT = "dev"
ROOT_MODULE = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}

variable "services" { type = list(string) }
variable "service" { type = string }

locals {
  # The new service's instances only, selected from the environment's list.
  instances = toset([for s in var.services : s if s == var.service])
  issuer    = "oidc.eks.eu-west-1.amazonaws.com/id/TEMPLATETEST"
}

resource "aws_iam_openid_connect_provider" "cluster" {
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
}

resource "aws_iam_policy" "boundary" {
  name   = "template-test-boundary"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:*", "dynamodb:*", "secretsmanager:GetSecretValue", "kms:*"]
      Resource = "*"
    }]
  })
}

module "data" {
  source   = "MODULES/service-data"
  for_each = local.instances

  service                     = each.key
  environment                 = "ENVIRONMENT"
  deletion_protection         = false
  deny_insecure_transport     = false
  secret_recovery_window_days = 0
  kms_deletion_window_days    = 7
}

module "identity" {
  source   = "MODULES/service-identity"
  for_each = local.instances

  service                  = each.key
  environment              = "ENVIRONMENT"
  namespace                = each.key
  service_account          = each.key
  oidc_provider_arn        = aws_iam_openid_connect_provider.cluster.arn
  oidc_issuer              = local.issuer
  bucket_arn               = module.data[each.key].bucket_arn
  table_arn                = module.data[each.key].table_arn
  secret_arn               = module.data[each.key].secret_arn
  kms_key_arn              = module.data[each.key].kms_key_arn
  permissions_boundary_arn = aws_iam_policy.boundary.arn
}

output "services" {
  value = { for s in local.instances : s => {
    bucket_name = module.data[s].bucket_name
    role_arn    = module.identity[s].role_arn
    role_name   = module.identity[s].role_name
  } }
}
"""


@pytest.fixture(scope="module")
def applied(
    generated: Generated, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tfvars = (generated.root / "infra/live" / ENVIRONMENT / "terraform.tfvars").read_text()
    services = listed_services(tfvars)
    workdir = tmp_path_factory.mktemp("terraform")
    moto = start_moto(workdir)
    try:
        root = workdir / "root"
        root.mkdir()
        modules = generated.root / "infra/modules"
        (root / "main.tf").write_text(
            ROOT_MODULE.replace("MODULES", str(modules)).replace("ENVIRONMENT", ENVIRONMENT)
        )
        point_root_at_emulator(root, moto.url)
        tf = Terraform(terraform_binary(), root, dict(FAKE_CREDENTIALS))
        tf.init()
        variables = [f"-var=services={json.dumps(services)}", f"-var=service={generated.name}"]
        tf.apply(*variables)
        outputs = tf.outputs()
        aws = awsmod.Aws(moto.url)
        served = outputs["services"].get(generated.name)
        result: dict[str, Any] = {"outputs": outputs}
        if served:
            result["role"] = awsmod.role_snapshot(aws, served["role_name"])
            result["enforced"] = s3_isolation_in_practice(moto, aws, outputs, generated.name)
        result["plan_exit_code"], _ = tf.plan_exit_code(*variables)
        yield result
    finally:
        moto.stop()


def test_the_services_list_creates_its_instances(
    applied: dict[str, Any], generated: Generated
) -> None:
    assert generated.name in applied["outputs"]["services"], "not in dev's services list"
    assert applied["plan_exit_code"] == 0, "a second plan wants changes"


def test_its_role_reaches_only_its_own_resources(
    applied: dict[str, Any], generated: Generated
) -> None:
    name, role = generated.name, applied["role"]
    (document,) = role["inline"].values()
    assert role["attached"] == [] and iam.full_wildcard_actions(document) == []
    assert iam.star_resource_actions(document) == set()
    own = (
        f"arn:aws:dynamodb:eu-west-1:{EMULATOR_ACCOUNT_ID}:table/{name}-{ENVIRONMENT}-",
        f"arn:aws:s3:::{name}-{ENVIRONMENT}-content-{EMULATOR_ACCOUNT_ID}",
        f"arn:aws:secretsmanager:eu-west-1:{EMULATOR_ACCOUNT_ID}:secret:{name}/{ENVIRONMENT}/",
        f"arn:aws:kms:eu-west-1:{EMULATOR_ACCOUNT_ID}:key/",
    )
    resources = {r for s in iam.allows(document) for r in s.resources}
    assert all(r.startswith(own) for r in resources), sorted(resources)
    (statement,) = iam.statements(role["trust"])
    subject = {k: v for k, v in statement.condition["StringEquals"].items() if k.endswith(":sub")}
    assert list(subject.values()) == [f"system:serviceaccount:{name}:{name}"]


def test_its_role_is_confined_to_its_bucket_with_iam_enforced(applied: dict[str, Any]) -> None:
    assert applied["enforced"] == CONFINED


def test_the_generated_role_arn_is_the_one_applied(
    applied: dict[str, Any], generated: Generated
) -> None:
    values = yaml.safe_load(
        (generated.root / f"gitops/environments/{ENVIRONMENT}/{generated.name}.yaml").read_text()
    )
    applied_arn = applied["outputs"]["services"][generated.name]["role_arn"]
    assert values["serviceAccount"]["roleArn"].rsplit(":", 1)[1] == applied_arn.rsplit(":", 1)[1]
