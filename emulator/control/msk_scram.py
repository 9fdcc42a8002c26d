"""SASL/SCRAM users of MSK clusters: Secrets Manager secrets (moto) associated with a cluster become
SCRAM-SHA-512 credentials on the broker, and leave it when no cluster has them any more.

One broker serves every cluster, so a user name is broker-wide: two clusters that associate secrets with
the same user name share one credential, the password of the later association.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cloudtwin.kafka.admin import ScramError
from cloudtwin.service import ServiceStartError

SECRET_PREFIX = "AmazonMSK_"
MAX_SECRETS_PER_CALL = 10
_SECRET_ARN = re.compile(r"^arn:[^:]+:secretsmanager:(?P<region>[^:]+):(?P<account>\d{12}):secret:.+$")
# Secrets Manager's own key: MSK cannot read secrets encrypted with it.
DEFAULT_SECRETS_KEY = "alias/aws/secretsmanager"
INVALID = "InvalidSecretArn"


class ScramRefusal(Exception):
    """The whole call is refused (a BadRequestException)."""


@dataclass(frozen=True)
class Unprocessed:
    secret_arn: str
    code: str
    message: str

    def render(self) -> dict[str, str]:
        return {"errorCode": self.code, "errorMessage": self.message, "secretArn": self.secret_arn}


def associated(cluster) -> dict[str, str]:
    """Secret ARN → SCRAM user name, kept on moto's record so it goes when the cluster (or moto's state) does."""
    if not hasattr(cluster, "cloudtwin_scram_users"):
        cluster.cloudtwin_scram_users = {}
    return cluster.cloudtwin_scram_users


def check_batch(secret_arns: object) -> list[str]:
    if not isinstance(secret_arns, list) or not secret_arns or not all(isinstance(a, str) for a in secret_arns):
        raise ScramRefusal("SecretArnList must be a non-empty list of secret ARNs")
    if len(secret_arns) > MAX_SECRETS_PER_CALL:
        raise ScramRefusal(f"at most {MAX_SECRETS_PER_CALL} secrets can be associated or disassociated at a time")
    return secret_arns


def associate(cluster, secret_arns: list[str], kafka) -> list[Unprocessed]:
    """Create each secret's user on the broker; a secret MSK could not use is returned, not raised."""
    users = associated(cluster)
    unprocessed = []
    for arn in secret_arns:
        try:
            user, password = _read_secret(arn, cluster.account_id, cluster.region_name)
            kafka.set_scram_user(user, password)
        except _SecretUnusable as exc:
            unprocessed.append(Unprocessed(arn, INVALID, str(exc)))
            continue
        except (ScramError, ServiceStartError) as exc:
            unprocessed.append(Unprocessed(arn, "InternalServerError", f"the broker refused the credential: {exc}"))
            continue
        users[arn] = user
    return unprocessed


def disassociate(cluster, secret_arns: list[str], kafka, all_clusters) -> list[Unprocessed]:
    """Forget each secret; its user leaves the broker unless another cluster still has a secret for it."""
    users = associated(cluster)
    unprocessed = []
    for arn in secret_arns:
        if arn not in users:
            unprocessed.append(Unprocessed(arn, INVALID, "the secret is not associated with this cluster"))
            continue
        user = users.pop(arn)
        if any(user in associated(other).values() for other in all_clusters()):
            continue
        try:
            kafka.delete_scram_user(user)
        except (ScramError, ServiceStartError) as exc:
            unprocessed.append(Unprocessed(arn, "InternalServerError", f"the broker kept the credential: {exc}"))
    return unprocessed


class _SecretUnusable(Exception):
    pass


def _read_secret(arn: str, account: str, region: str) -> tuple[str, str]:
    """The secret's username and password, checked as MSK checks them (messages as MSK words them)."""
    match = _SECRET_ARN.match(arn)
    if match is None:
        raise _SecretUnusable(f"{arn} is not a Secrets Manager secret ARN")
    if (match.group("account"), match.group("region")) != (account, region):
        raise _SecretUnusable("Secrets associated with an Amazon MSK cluster must be in its account and Region.")
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[account][region]
    try:
        secret = backend.secrets[arn]
        value = backend.get_secret_value(arn, None, None)
    except Exception:  # moto's not-found and marked-for-deletion errors alike
        raise _SecretUnusable("Amazon MSK wasn't able to access the provided secret.") from None
    if not secret.name.startswith(SECRET_PREFIX):
        raise _SecretUnusable(
            "The provided secret arn cannot be used with Amazon MSK. Secret names must have the prefix 'AmazonMSK_'"
        )
    if not secret.kms_key_id or secret.kms_key_id == DEFAULT_SECRETS_KEY:
        raise _SecretUnusable(
            "A secret encrypted with Secrets Manager's default AWS KMS key cannot be used with Amazon MSK: "
            "create it with a customer managed KMS key (KmsKeyId)"
        )
    try:
        credentials = json.loads(value.get("SecretString") or "")
    except ValueError:
        credentials = None
    if not (
        isinstance(credentials, dict)
        and isinstance(credentials.get("username"), str)
        and isinstance(credentials.get("password"), str)
        and credentials["username"]
    ):
        raise _SecretUnusable('The secret\'s value must be JSON {"username": "...", "password": "..."}.')
    return credentials["username"], credentials["password"]
