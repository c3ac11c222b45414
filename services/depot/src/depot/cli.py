"""`depot`: the server, key management, the sweeper, and local provisioning."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import anyio
import typer
from service_runtime.config import settings_or_exit
from service_runtime.logs import configure_logging

from depot.config import Settings
from depot.keys import KEY_PATTERN
from depot.keys_admin import KeyAdmin

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=__doc__)
keys_app = typer.Typer(help="Issue, rotate, revoke and list API keys (hashes in the secret).")
dev_app = typer.Typer(help="Local development helpers (emulator only).")
app.add_typer(keys_app, name="keys")
app.add_typer(dev_app, name="dev")

SecretOption = Annotated[
    str,
    typer.Option(envvar="DEPOT_KEYS_SECRET_ID", help="Secret name or ARN holding the key hashes"),
]


def _settings_or_exit() -> Settings:
    return settings_or_exit(Settings, "depot")


@app.command()
def serve() -> None:
    """Run the HTTP server (the container's default command)."""
    settings = _settings_or_exit()
    configure_logging(settings.log_level, secret_values=[KEY_PATTERN])
    from depot.server import serve as run_server

    run_server(settings)


@app.command()
def sweep(
    older_than: Annotated[
        float | None, typer.Option(help="Seconds; default DEPOT_PENDING_TTL_SECONDS")
    ] = None,
) -> None:
    """Reconcile: delete documents left pending and objects no document references."""
    settings = _settings_or_exit()
    configure_logging(settings.log_level, secret_values=[KEY_PATTERN])
    from depot.runtime import build_runtime
    from depot.sweeper import sweep as run_sweep

    runtime = build_runtime(settings)
    age = older_than if older_than is not None else settings.pending_ttl_seconds
    report = anyio.run(run_sweep, runtime, age)
    typer.echo(
        json.dumps(
            {
                "swept_documents": report.documents,
                "deleted_objects": report.objects,
                "kept_objects": report.kept_objects,
            }
        )
    )


def _admin(secret_id: str) -> KeyAdmin:
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        typer.echo("depot: set AWS_REGION to the secret's region (e.g. eu-west-1)", err=True)
        raise typer.Exit(2)
    return KeyAdmin(boto3.client("secretsmanager", region_name=region), secret_id)


@keys_app.command("issue")
def keys_issue(
    tenant: Annotated[str, typer.Option(help="Tenant id, e.g. acme")],
    secret_id: SecretOption,
    label: Annotated[str, typer.Option(help="Free text, e.g. who holds the key")] = "",
) -> None:
    """Add a key for a tenant. The key is printed once; only its hash is stored."""
    entry, key = _admin(secret_id).issue(tenant, label)
    typer.echo(json.dumps({"id": entry.id, "tenant": entry.tenant, "key": key}))


@keys_app.command("rotate")
def keys_rotate(
    tenant: Annotated[str, typer.Option(help="Tenant id")],
    secret_id: SecretOption,
) -> None:
    """Issue a new key and keep the old ones (overlap); revoke them once clients moved."""
    admin = _admin(secret_id)
    previous = [entry.id for entry in admin.list() if entry.tenant == tenant]
    entry, key = admin.issue(tenant, "rotated")
    typer.echo(json.dumps({"id": entry.id, "tenant": tenant, "key": key, "revoke_later": previous}))


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Option(help="Key id from `depot keys list`")],
    secret_id: SecretOption,
) -> None:
    """Remove a key; it stops working within one refresh interval."""
    try:
        entry = _admin(secret_id).revoke(key_id)
    except LookupError as exc:
        typer.echo(f"depot: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"revoked": entry.id, "tenant": entry.tenant}))


@keys_app.command("list")
def keys_list(secret_id: SecretOption) -> None:
    """Key ids, tenants, labels and creation times (never hashes)."""
    for entry in _admin(secret_id).list():
        typer.echo(
            json.dumps(
                {
                    "id": entry.id,
                    "tenant": entry.tenant,
                    "label": entry.label,
                    "created_at": entry.created_at.isoformat(),
                }
            )
        )


@dev_app.command("provision")
def dev_provision(
    endpoint_url: Annotated[str, typer.Option(help="The emulator, e.g. http://127.0.0.1:5000")],
    tenant: Annotated[list[str], typer.Option(help="Tenant to issue a key for (repeatable)")],
    region: Annotated[str, typer.Option(envvar="AWS_REGION")] = "eu-west-1",
    table: str = "depot-local-documents",
    bucket: str = "depot-local-content",
    secret_id: str = "depot/local/api-keys",  # noqa: S107 - a secret's name, not a value
) -> None:
    """Create the table, bucket and key secret on an emulator; print names and keys."""
    from depot.devstack import provision

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    result = provision(endpoint_url, region, table, bucket, secret_id, tenant)
    typer.echo(json.dumps(result))


def main() -> None:
    if len(sys.argv) == 1:  # `python -m depot` alone serves, like the image's default
        sys.argv.append("serve")
    app()
