"""The image's TLS stack, exercised: the AWS emulator serves HTTPS with a certificate from
a CA this run made, and the image trusts that CA only through the standard AWS variable
AWS_CA_BUNDLE (read by botocore for every client), pointed at a file mounted read-only.

Positive: ready, and a document round trip over TLS. Negative: the same container without
the variable is not ready and reports its dependencies unreachable, and the same image's
botocore names the certificate verification failure; so the variable is what makes it
work, not a CA that happens to be in the image.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.container.conftest import BuiltImage
from tests.container.depot_container import (
    HARDENING,
    container_env,
    is_running,
    provision,
    round_trip,
    start_depot,
)
from tests.container.podman import Podman
from tests.container.tls_ca import Pki, make_pki
from tests.support.moto import MotoServer, start_moto
from tests.support.tools import free_port

CA_IN_CONTAINER = "/etc/depot-test-ca/ca.pem"
BACKENDS = ("dynamodb", "s3", "secretsmanager")
# One botocore call from inside the image, with the image's own Python, OpenSSL and CA
# store; prints "ok" or the exception botocore raised.
BOTOCORE_PROBE = """
import boto3, botocore.exceptions
client = boto3.client("secretsmanager", region_name="eu-west-1")
try:
    client.list_secrets(MaxResults=1)
    print("ok")
except botocore.exceptions.SSLError as error:
    print("SSLError", error)
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_moto(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(tmp_path_factory.mktemp("moto-tls"), tls=(pki.certificate, pki.key, pki.ca))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_stack(
    tls_moto: MotoServer, pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    # Provisioned over TLS too: the host's botocore trusts the test CA the same way.
    return provision(
        tls_moto.url, tmp_path_factory.mktemp("provision-tls"), {"AWS_CA_BUNDLE": str(pki.ca)}
    )


def _mount(pki: Pki) -> str:
    return f"--volume={pki.ca}:{CA_IN_CONTAINER}:ro"


def _readiness(url: str) -> tuple[int, dict[str, object]] | None:
    try:
        response = httpx.get(f"{url}/readyz", timeout=2.0)
    except httpx.HTTPError:
        return None
    return response.status_code, dict(response.json())


def test_the_emulator_speaks_only_tls_with_the_test_ca(tls_moto: MotoServer, pki: Pki) -> None:
    assert tls_moto.url.startswith("https://127.0.0.1:")
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_moto.url}/moto-api/", timeout=5.0)  # the system CAs do not know it
    trusted = ssl.create_default_context(cafile=pki.ca)
    assert httpx.get(f"{tls_moto.url}/moto-api/", timeout=5.0, verify=trusted).status_code == 200


def test_with_aws_ca_bundle_the_image_is_ready_and_round_trips_a_document(
    podman: Podman, depot_image: BuiltImage, tls_moto: MotoServer, tls_stack: dict[str, object],
    pki: Pki,
) -> None:  # fmt: skip
    depot = start_depot(
        podman,
        depot_image.ref,
        tls_moto.url,
        tls_stack,
        extra_env={"AWS_CA_BUNDLE": CA_IN_CONTAINER},
        run_args=(_mount(pki),),
    )
    try:
        round_trip(depot, "tls.txt", b"over TLS, trusted through AWS_CA_BUNDLE\n" * 64)
        answer = _readiness(depot.url)
        assert answer is not None and answer[0] == 200
        dependencies = answer[1]["dependencies"]
        assert isinstance(dependencies, dict)
        assert dependencies["secretsmanager"]["up"] is True, dependencies
    finally:
        podman.remove(depot.name)


def test_without_aws_ca_bundle_readiness_reports_the_dependencies_unreachable(
    podman: Podman, depot_image: BuiltImage, tls_moto: MotoServer, tls_stack: dict[str, object],
    pki: Pki,
) -> None:  # fmt: skip
    # The same run as above with the CA still mounted, only the variable missing.
    port = free_port()
    name = f"depot-test-noca-{port}"
    env = container_env(tls_moto.url, tls_stack, port)
    podman(
        *("run", "--detach", f"--name={name}", "--network=host", "--health-interval=disable"),
        *HARDENING,
        _mount(pki),
        *(f"--env={key}={value}" for key, value in env.items()),
        depot_image.ref,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        answer = None
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            assert is_running(podman, name), podman.logs(name)
            answer = _readiness(url)
            if answer and answer[1]["dependencies"]["secretsmanager"].get("error"):  # type: ignore[index]
                break
            time.sleep(0.2)
        assert answer is not None, f"no readiness answer:\n{podman.logs(name)}"
        status, body = answer
        assert status == 503 and body["status"] == "starting", body
        assert body["checks"] == {"started": True, "keys_loaded": False, "not_draining": True}
        dependencies = body["dependencies"]
        assert isinstance(dependencies, dict)
        assert dependencies["secretsmanager"] == {
            **dependencies["secretsmanager"],
            "up": False,
            "error": "unreachable",
        }, dependencies
        assert "key set refresh failed" in podman.logs(name)
    finally:
        podman.remove(name)


@pytest.mark.parametrize("with_bundle", [True, False], ids=["with-ca-bundle", "without"])
def test_the_images_botocore_verifies_the_emulator_certificate_against_aws_ca_bundle(
    podman: Podman, depot_image: BuiltImage, tls_moto: MotoServer, pki: Pki, with_bundle: bool,
) -> None:  # fmt: skip
    env = {
        "AWS_ENDPOINT_URL": tls_moto.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **({"AWS_CA_BUNDLE": CA_IN_CONTAINER} if with_bundle else {}),
    }
    result = podman(
        *("run", "--rm", "--network=host", *HARDENING, _mount(pki)),
        *(f"--env={key}={value}" for key, value in env.items()),
        *("--entrypoint=python", depot_image.ref, "-c", BOTOCORE_PROBE),
        timeout=60,
    )
    if with_bundle:
        assert result.stdout.strip() == "ok", result.stdout + result.stderr
    else:
        # OpenSSL's verify failure, from the image's own ssl module.
        assert result.stdout.startswith("SSLError"), result.stdout + result.stderr
        assert "CERTIFICATE_VERIFY_FAILED" in result.stdout, result.stdout
