"""The local stand-in for the runtime base reproduces what the real base gives every
image built on it: user, working directory, environment, entry point, the nonroot home
directory's owner and mode, and the files of its package sets that a service may rely on
(CA bundle, time zones, /etc/services, MIME types).

The expected values are distroless' own, read from GoogleContainerTools/distroless at
commit cd080764 (2026-08-21): static/static.bzl (nonroot user 65532, workdir
/home/nonroot, PATH, SSL_CERT_FILE), common/BUILD.bazel (home directories and modes),
python3/python.bzl (LANG, the entry point), static/config.bzl (base-files, netbase,
tzdata, tzdata-legacy, media-types). A stand-in that drifts from them would let the
image tests pass on something the shipped image is not.
"""

from __future__ import annotations

import json

from tests.container.podman import Podman
from tests.support.tools import ROOT

PYTHON = (ROOT / "services" / "depot" / ".python-version").read_text().strip()
DISTROLESS_NONROOT = {
    "User": "65532",
    "WorkingDir": "/home/nonroot",
    "Entrypoint": [f"/usr/bin/python{PYTHON}"],
}
DISTROLESS_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
    "LANG": "C.UTF-8",
}
# Runs as the base's own user in its own working directory.
PROBE = """
import json, os, ssl, sys, zoneinfo
def owner_mode(path):
    st = os.stat(path)
    return [st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)]
print(json.dumps({
    "uid": os.getuid(),
    "cwd": os.getcwd(),
    "python": sys.version.split()[0],
    "python_links": [os.path.realpath(p) for p in ("/usr/bin/python", "/usr/bin/python3")],
    "homes": {p: owner_mode(p) for p in ("/root", "/home", "/home/nonroot", "/tmp")},
    "ca_certs": ssl.create_default_context().cert_store_stats()["x509_ca"],
    "zone": str(zoneinfo.ZoneInfo("Europe/Dublin")),
    "services": os.path.isfile("/etc/services") and "https" in open("/etc/services").read(),
    "mime_types": os.path.isfile("/etc/mime.types"),
    "passwd": sorted(line.split(":")[0] for line in open("/etc/passwd")),
}))
"""


def test_stand_in_has_the_base_image_config(podman: Podman, base_images: dict[str, str]) -> None:
    config = podman.inspect_image(base_images["BASE_IMAGE"])["Config"]
    for key, value in DISTROLESS_NONROOT.items():
        assert config[key] == value, key
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env == DISTROLESS_ENV


def test_stand_in_has_the_base_files_and_modes(podman: Podman, base_images: dict[str, str]) -> None:
    result = podman("run", "--rm", "--network=none", base_images["BASE_IMAGE"], "-c", PROBE)
    facts = json.loads(result.stdout)
    assert facts["uid"] == 65532
    assert facts["cwd"] == "/home/nonroot"
    assert facts["python"].startswith(f"{PYTHON}.")
    assert facts["python_links"] == [f"/usr/bin/python{PYTHON}"] * 2
    # The nonroot home is private to 65532: an image running as another uid cannot read
    # it, which is why the depot image sets its own WORKDIR.
    assert facts["homes"] == {
        "/root": [0, 0, "0o700"],
        "/home": [0, 0, "0o755"],
        "/home/nonroot": [65532, 65532, "0o700"],
        "/tmp": [0, 0, "0o1777"],
    }
    assert facts["ca_certs"] > 100  # the Mozilla bundle via SSL_CERT_FILE
    assert facts["zone"] == "Europe/Dublin"  # tzdata
    assert facts["services"] is True  # netbase
    assert facts["mime_types"] is True  # media-types
    assert facts["passwd"] == ["nobody", "nonroot", "root"]


def test_base_workdir_is_unreadable_to_the_image_user(
    podman: Podman, base_images: dict[str, str]
) -> None:
    """What the depot image's WORKDIR guards against, shown on the stand-in itself: as
    10001 in the base's working directory, the directory cannot be read."""
    result = podman(
        *("run", "--rm", "--network=none", "--user=10001:10001", "--cap-drop=ALL"),
        base_images["BASE_IMAGE"],
        *("-c", "import os; print(os.access(os.getcwd(), os.R_OK))"),
        check=False,
    )
    # Either the runtime refuses to start there, or the directory is unreadable.
    assert result.returncode != 0 or result.stdout.strip() == "False", result.stdout
