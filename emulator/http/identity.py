"""Who sent an AWS request: region and account from its SigV4 credential, and the endpoint it used."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_ACCOUNT = re.compile(r"\d{12}")


def credential_scope(environ: dict) -> tuple[str, str, str] | None:
    """(access key, region, service) from the Authorization header or a presigned query string."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization:
        scope = _header_scope(authorization)
        if scope is not None:
            return scope
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential" in query:
        credential = parse_qs(query).get("X-Amz-Credential", [""])[0]
        parts = credential.split("/")
        if len(parts) == 5:
            return parts[0], parts[2], parts[3]
    return None


# A client signs every request with the same few credentials: their scopes are read once (bounded, as they are the
# client's to choose).
_scopes: dict[str, tuple[str, str, str]] = {}
_MAX_SCOPES = 1024


def _header_scope(authorization: str) -> tuple[str, str, str] | None:
    start = authorization.find("Credential=")
    if start < 0:
        return None
    end = authorization.find(",", start)
    credential = authorization[start : end if end >= 0 else len(authorization)]
    try:
        return _scopes[credential]
    except KeyError:
        pass
    match = _CREDENTIAL.search(authorization)
    if match is None:
        return None
    scope = match.group(1), match.group(2), match.group(3)
    if match.start() == start and len(_scopes) < _MAX_SCOPES:  # then the scope is read from `credential` alone
        _scopes[credential] = scope
    return scope


def caller(environ: dict, default_region: str, default_account: str) -> tuple[str, str]:
    """(region, account): a 12-digit access key id is taken as the account, as LocalStack does."""
    return signed_caller(environ, default_region, default_account)[:2]


def signed_caller(environ: dict, default_region: str, default_account: str) -> tuple[str, str, bool]:
    """(region, account, whether the request is signed, so that its region is the caller's own)."""
    scope = credential_scope(environ)
    if scope is None:
        return default_region, default_account, False
    access_key, region, _service = scope
    return region, access_key if _ACCOUNT.fullmatch(access_key) else default_account, True


def endpoint(environ: dict) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
