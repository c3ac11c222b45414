"""The built image: its configuration, what is (and is not) inside it, its size."""

from __future__ import annotations

import json

from tests.container.conftest import SOURCE_URL, BuiltImage
from tests.container.podman import Podman
from tests.support.tools import ROOT

SIZE_REPORT = ROOT / ".cache" / "reports" / "image-size.json"
# The service's Python, which the runtime base must ship (ADR 0052).
PYTHON = (ROOT / "services" / "depot" / ".python-version").read_text().strip()

# Runs inside the image as its entry point's interpreter: finds tools that must not be
# there and reports how the service is installed.
PROBE = """
import importlib.metadata, importlib.util, json, os, shutil, sys
dirs = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/opt/venv/bin"]
tools = ["sh", "bash", "dash", "busybox", "apt", "apt-get", "dpkg", "pip", "pip3", "uv",
         "gcc", "cc", "make", "curl", "wget", "tar"]
import depot
cwd = os.getcwd()
print(json.dumps({
    "cwd": cwd,
    "cwd_readable": os.access(cwd, os.R_OK | os.X_OK) and os.listdir(cwd) is not None,
    "safe_path": sys.flags.safe_path,
    "found_tools": sorted(t for t in tools for d in dirs if os.path.exists(os.path.join(d, t))),
    "pip_module": importlib.util.find_spec("pip") is not None,
    "interpreter": os.path.realpath(sys.executable),
    "python": sys.version.split()[0],
    "depot_version": importlib.metadata.version("depot"),
    "depot_location": os.path.dirname(depot.__file__),
    "entry_point": os.readlink("/opt/venv/bin/service"),
    "entry_shebang": open("/opt/venv/bin/service", "rb").readline().decode().strip(),
}))
"""


def labels_title(config: dict[str, object]) -> object:
    labels = config["Labels"]
    assert isinstance(labels, dict)
    return labels["org.opencontainers.image.title"]


def test_image_config(podman: Podman, depot_image: BuiltImage) -> None:
    inspected = podman.inspect_image(depot_image.ref)
    config = inspected["Config"]
    assert config["User"] == "10001:10001"
    # The one Dockerfile's entry point: the service's console script (depot's serves
    # without arguments), linked as /opt/venv/bin/service by the build.
    assert config["Entrypoint"] == ["/opt/venv/bin/service"]
    assert not config.get("Cmd")
    assert labels_title(config) == "depot"
    assert config["StopSignal"] == "SIGTERM"
    assert "8080/tcp" in config["ExposedPorts"]
    assert inspected["Healthcheck"]["Test"][:2] == ["CMD", "python"]  # exec form: no shell
    labels = config["Labels"]
    assert labels["org.opencontainers.image.source"] == SOURCE_URL
    assert labels["org.opencontainers.image.version"] == depot_image.version
    assert labels["org.opencontainers.image.revision"] == depot_image.revision
    assert labels["org.opencontainers.image.base.name"] == depot_image.base_image
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["SERVICE"] == "depot"
    assert env["SERVICE_VERSION"] == depot_image.version
    assert env["SERVICE_REVISION"] == depot_image.revision
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    # Not the base's /home/nonroot (0700, uid 65532): readable by the image's user.
    assert config["WorkingDir"] == "/"
    # `python -m depot` must not put the working directory on sys.path.
    assert env["PYTHONSAFEPATH"] == "1"


def test_runtime_holds_only_the_interpreter_and_the_service(
    podman: Podman, depot_image: BuiltImage
) -> None:
    # As the image's own user, in the image's own working directory.
    result = podman(
        *("run", "--rm", "--network=none", "--read-only", "--cap-drop=ALL"),
        *("--entrypoint", "python", depot_image.ref, "-c", PROBE),
    )
    probe = json.loads(result.stdout)
    assert probe["found_tools"] == [], "the runtime stage must not ship shells or package tools"
    assert probe["pip_module"] is False
    assert probe["interpreter"] == f"/usr/bin/python{PYTHON}"  # the base's Debian python
    assert probe["python"].startswith(f"{PYTHON}.")
    # Installed from the lock as a regular package, not an editable link to /src.
    assert probe["depot_version"] == depot_image.version
    assert probe["depot_location"].startswith(f"/opt/venv/lib/python{PYTHON}/site-packages/")
    # The entry point is depot's console script, run by the venv's (the base's) python.
    assert probe["entry_point"] == "depot"
    assert probe["entry_shebang"] == "#!/opt/venv/bin/python"
    assert probe["cwd"] == "/"
    assert probe["cwd_readable"] is True, "the user must be able to read its working directory"
    assert probe["safe_path"] is True


def test_report_image_size(podman: Podman, depot_image: BuiltImage) -> None:
    """Not a limit (that would be a timed-style assert); a figure for the benchmarks. The
    base/service split needs the base in podman's store, which the image built from the
    real base elsewhere (test-shipped-image) does not bring: then only the total."""
    image_bytes = int(podman.inspect_image(depot_image.ref)["Size"])
    assert image_bytes > 0
    base_known = podman.image_exists(depot_image.base_image)
    base_bytes = int(podman.inspect_image(depot_image.base_image)["Size"]) if base_known else None
    report = {
        "image": depot_image.ref,
        "base_image": depot_image.base_image,
        "bytes": image_bytes,
        "base_bytes": base_bytes,
        "service_layer_bytes": None if base_bytes is None else image_bytes - base_bytes,
        "mib": round(image_bytes / 2**20, 1),
    }
    if base_bytes is not None:
        assert image_bytes > base_bytes > 0
    SIZE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    SIZE_REPORT.write_text(json.dumps(report, indent=2) + "\n")
    split = (
        ""
        if base_bytes is None
        else f" (base {base_bytes / 2**20:.1f} MiB + service "
        f"{(image_bytes - base_bytes) / 2**20:.1f} MiB)"
    )
    print(f"\nimage size: {report['mib']} MiB uncompressed{split}")
