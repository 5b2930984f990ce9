"""Writing a tenant's identity providers (call in the tenant's schema).

Every write validates the whole registration first and stores nothing when any part is wrong:
`IdentityProviderInvalid` carries each field's errors. Secrets and private keys are encrypted
with `tenants.secrets` before they touch the database and are never returned.
"""

import re
from typing import Any

from allauth.socialaccount.models import SocialAccount
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from federation.claims import MAX_CLAIM_NAME, STANDARD_CLAIMS, is_claim_name
from federation.exceptions import IdentityProviderInvalid
from federation.keys import (
    GENERATED_KEY_ALGORITHM,
    ClientKey,
    ClientKeyUnusable,
    certificate_make,
    client_key_generate,
    client_key_load,
)
from federation.metadata import Fetch, metadata_fetch, metadata_load, url_problem
from federation.models import ClientAuthentication, IdentityProvider, ProviderKind
from federation.selectors import claim_targets
from tenants.secrets import secret_encrypt

DEFAULT_OIDC_SCOPES = ["openid", "profile", "email"]
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_MAX_SECRET = 16 * 1024

Errors = dict[str, list[str]]


def _apple_key_problem(pem: str) -> str | None:
    """Why `pem` is not Apple's kind of private key (an EC P-256 key, RFC 7518 §3.4 ES256), or
    None."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return _("Paste the private key in PEM format (-----BEGIN PRIVATE KEY-----), unencrypted.")
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        return _("Apple's key is an elliptic-curve P-256 key (the .p8 file Apple gives).")
    return None


def _needs_private_key(kind: str, client_authentication: str) -> bool:
    return kind == ProviderKind.APPLE or (
        kind == ProviderKind.OPENID_CONNECT
        and client_authentication == ClientAuthentication.PRIVATE_KEY_JWT
    )


def _check_claims_mapping(mapping: object, errors: Errors) -> None:
    """Our attributes (federation.selectors.claim_targets) to plain claim names
    (federation.claims.CLAIM_NAME); `sub` mapped. An attribute left out is not filled."""
    if not isinstance(mapping, dict):
        errors.setdefault("claims_mapping", []).append(_("Map attribute names to claim names."))
        return
    targets = {target.name for target in claim_targets()}
    for target, claim in mapping.items():
        if target not in targets:
            errors.setdefault("claims_mapping", []).append(
                _("“%(name)s” is no user attribute of this tenant.") % {"name": target}
            )
        elif not is_claim_name(claim):
            errors.setdefault("claims_mapping", []).append(
                _(
                    "The claim for “%(name)s” must be a plain claim name: letters, digits and "
                    "_ - . : only, at most %(max)d characters."
                )
                % {"name": target, "max": MAX_CLAIM_NAME}
            )
    if "sub" not in mapping:
        errors.setdefault("claims_mapping", []).append(
            _("Map “sub”: it identifies the customer at the provider.")
        )


def _check_assertions_accepted(
    metadata: dict[str, Any], *, algorithm: str | None, key_field: str, errors: Errors
) -> None:
    """A provider whose discovery document lists its token endpoint's authentication methods
    or its assertions' algorithms (OIDC Discovery §3) must list `private_key_jwt` and the
    key's algorithm; a list it leaves out is not held against it."""
    methods = metadata.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        errors.setdefault("client_authentication", []).append(
            _("The provider does not accept private_key_jwt: it lists %(methods)s.")
            % {"methods": ", ".join(map(str, methods))}
        )
    algorithms = metadata.get("token_endpoint_auth_signing_alg_values_supported")
    if algorithm and isinstance(algorithms, list) and algorithm not in algorithms:
        errors.setdefault(key_field, []).append(
            _(
                "The provider does not accept assertions signed with %(algorithm)s: it lists "
                "%(algorithms)s."
            )
            % {"algorithm": algorithm, "algorithms": ", ".join(map(str, algorithms))}
        )


def _validate(
    provider: IdentityProvider,
    *,
    secret: str | None,
    secret_was_key: bool,
    generate_key_pair: bool = False,
    fetch: Fetch,
) -> None:
    """Check the unsaved registration; fill its metadata and issuer (OpenID Connect), and for
    `private_key_jwt` its stored key (the given or generated one, with its certificate) and key
    ID. Raises IdentityProviderInvalid with every problem found."""
    errors: Errors = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    kind = provider.kind
    if kind not in ProviderKind.values:
        raise IdentityProviderInvalid({"kind": [_("Choose a provider type.")]})
    if not provider.display_name.strip():
        error("display_name", _("Enter a name."))
    elif len(provider.display_name) > 128:
        error("display_name", _("Use at most 128 characters."))
    if not provider.client_id.strip():
        error("client_id", _("Enter the client ID the provider gave you."))
    elif len(provider.client_id) > 255:
        error("client_id", _("Use at most 255 characters."))
    if provider.client_authentication not in ClientAuthentication.values:
        error("client_authentication", _("Choose how we authenticate at the provider."))
    needs_key = _needs_private_key(kind, provider.client_authentication)
    client_key: ClientKey | None = None
    if generate_key_pair:
        if kind != ProviderKind.OPENID_CONNECT or not needs_key:
            error("generate_key_pair", _("A key pair is generated for private_key_jwt only."))
        elif secret:
            error("secret", _("Paste a private key or generate a key pair, not both."))
    elif secret:
        if len(secret) > _MAX_SECRET:
            error("secret", _("The secret is too long."))
        elif kind == ProviderKind.APPLE:
            problem = _apple_key_problem(secret)
            if problem:
                error("secret", problem)
        elif needs_key:
            try:
                client_key = client_key_load(secret)
            except ClientKeyUnusable as unusable:
                error("secret", str(unusable))
    elif not provider.secret_encrypted or needs_key != secret_was_key:
        if kind == ProviderKind.APPLE:
            error("secret", _("Paste the private key."))
        elif needs_key:
            error("secret", _("Paste the private key, or generate a key pair."))
        else:
            error("secret", _("Enter the client secret."))
    # What a new key signs with: the provider must accept it.
    new_key_algorithm: str | None = None
    if generate_key_pair:
        new_key_algorithm = GENERATED_KEY_ALGORITHM
    elif client_key is not None:
        new_key_algorithm = client_key.algorithm
    if kind == ProviderKind.APPLE:
        if not provider.team_id.strip():
            error("team_id", _("Enter your Apple Developer team ID."))
        if not provider.key_id.strip():
            error("key_id", _("Enter the key ID of the private key."))
    if kind == ProviderKind.OPENID_CONNECT:
        scopes = provider.scopes
        if not isinstance(scopes, list) or not all(
            isinstance(scope, str) and _SCOPE_TOKEN.fullmatch(scope) for scope in scopes
        ):
            error("scopes", _("Scopes are names without spaces or quotes."))
        elif "openid" not in scopes:
            error("scopes", _("The scopes must include openid (OpenID Connect Core §3.1.2.1)."))
        _check_claims_mapping(provider.claims_mapping, errors)
        problem = url_problem(provider.well_known_url)
        if problem:
            error("well_known_url", problem)
        else:
            metadata, problems = metadata_load(provider.well_known_url, fetch=fetch)
            errors.setdefault("well_known_url", []).extend(problems)
            errors = {field: messages for field, messages in errors.items() if messages}
            provider.metadata = metadata
            provider.issuer = str(metadata.get("issuer", ""))
            if needs_key:
                _check_assertions_accepted(
                    metadata,
                    algorithm=new_key_algorithm,
                    key_field="generate_key_pair" if generate_key_pair else "secret",
                    errors=errors,
                )
    if errors:
        raise IdentityProviderInvalid(errors)
    if generate_key_pair:
        client_key = client_key_generate(common_name=provider.client_id)
        provider.key_id = client_key.thumbprint
    elif client_key is not None:
        if client_key.certificate is None:
            certificate = certificate_make(client_key.private_key, common_name=provider.client_id)
            client_key = ClientKey(client_key.private_key, certificate)
        provider.key_id = provider.key_id or client_key.thumbprint
    if client_key is not None:
        secret = client_key.stored_text()
    if secret:
        provider.secret_encrypted = secret_encrypt(secret.encode())


def _slug_for(kind: str, display_name: str, slug: str | None) -> tuple[str, Errors]:
    if kind != ProviderKind.OPENID_CONNECT:
        # One registration per social provider, named by the provider in its callback URL.
        if IdentityProvider.objects.filter(kind=kind).exists():
            return kind, {"kind": [_("This provider is configured already: edit it instead.")]}
        return kind, {}
    chosen = slugify(slug if slug else display_name)[:64].strip("-")
    if not chosen:
        return "", {"slug": [_("Enter an identifier: letters, digits and hyphens.")]}
    if slug and chosen != slug:
        return chosen, {"slug": [_("Use only lowercase letters, digits and hyphens.")]}
    if IdentityProvider.objects.filter(slug=chosen).exists():
        return chosen, {
            "slug": [_("The identifier “%(slug)s” is taken: choose another.") % {"slug": chosen}]
        }
    return chosen, {}


def identity_provider_create(
    *,
    kind: str,
    display_name: str,
    client_id: str,
    secret: str,
    slug: str | None = None,
    well_known_url: str = "",
    client_authentication: str = ClientAuthentication.CLIENT_SECRET_POST,
    key_id: str = "",
    team_id: str = "",
    scopes: list[str] | None = None,
    claims_mapping: dict[str, str] | None = None,
    trusted_for_email: bool = False,
    generate_key_pair: bool = False,
    fetch: Fetch = metadata_fetch,
) -> IdentityProvider:
    """Register a provider and return it, or raise IdentityProviderInvalid (nothing stored).

    Google, Facebook and Apple: one registration each, slug = the provider's name; Google's and
    Apple's verified emails are always trusted. OpenID Connect: the slug is derived from the
    name unless given, must be unused; the discovery document is fetched and validated (OIDC
    Discovery §4.3) and stored with its issuer; scopes default to openid, profile, email and
    the claims mapping to the standard claims (OIDC Core §5.1).

    `private_key_jwt` (OIDC Core §9): `secret` is the admin's private key (PEM, optionally
    followed by its certificate), or `generate_key_pair` makes an RSA 2048 key here. Either is
    stored with a self-signed certificate of its public key (federation/keys.py) for the admin
    to register at the provider; `key_id` defaults to the key's thumbprint (RFC 7638), and a
    generated key is always named by it.
    """
    oidc = kind == ProviderKind.OPENID_CONNECT
    chosen, slug_errors = _slug_for(kind, display_name, slug)
    provider = IdentityProvider(
        slug=chosen,
        kind=kind,
        display_name=display_name.strip(),
        client_id=client_id.strip(),
        client_authentication=(
            client_authentication if oidc else ClientAuthentication.CLIENT_SECRET_POST
        ),
        key_id=key_id.strip(),
        team_id=team_id.strip() if kind == ProviderKind.APPLE else "",
        well_known_url=well_known_url.strip() if oidc else "",
        scopes=(list(DEFAULT_OIDC_SCOPES) if scopes is None else scopes) if oidc else [],
        claims_mapping=(
            (dict(STANDARD_CLAIMS) if claims_mapping is None else claims_mapping) if oidc else {}
        ),
        trusted_for_email=trusted_for_email or kind in {ProviderKind.GOOGLE, ProviderKind.APPLE},
    )
    try:
        _validate(
            provider,
            secret=secret,
            secret_was_key=False,
            generate_key_pair=generate_key_pair,
            fetch=fetch,
        )
    except IdentityProviderInvalid as invalid:
        raise IdentityProviderInvalid({**slug_errors, **invalid.errors}) from None
    if slug_errors:
        raise IdentityProviderInvalid(slug_errors)
    with transaction.atomic():
        provider.save()
    return provider


_UPDATABLE = frozenset(
    {
        "display_name",
        "client_id",
        "client_authentication",
        "key_id",
        "team_id",
        "well_known_url",
        "scopes",
        "claims_mapping",
        "trusted_for_email",
    }
)


def identity_provider_update(
    *, provider: IdentityProvider, fetch: Fetch = metadata_fetch, **changes: Any
) -> IdentityProvider:
    """Apply `changes` (any of display_name, client_id, secret, generate_key_pair,
    client_authentication, key_id, team_id, well_known_url, scopes, claims_mapping,
    trusted_for_email) and save, or raise IdentityProviderInvalid leaving the row as it was.

    `secret` empty or None keeps the stored one, unless the change of client authentication
    needs a private key in place of a secret (or the reverse); `generate_key_pair` replaces a
    `private_key_jwt` provider's key with a new one (as in identity_provider_create). The kind
    and slug never change (the slug is in the callback URL registered at the provider). An
    OpenID Connect provider's document is fetched and validated again, so its stored copy is
    the current one.
    """
    unknown = set(changes) - _UPDATABLE - {"secret", "generate_key_pair"}
    if unknown:
        raise TypeError(f"identity_provider_update() got unexpected changes {sorted(unknown)}")
    secret = changes.pop("secret", None) or None
    generate_key_pair = bool(changes.pop("generate_key_pair", False))
    was_key = _needs_private_key(provider.kind, provider.client_authentication)
    candidate = IdentityProvider.objects.get(pk=provider.pk)
    for field, value in changes.items():
        setattr(candidate, field, value.strip() if isinstance(value, str) else value)
    if provider.kind != ProviderKind.OPENID_CONNECT:
        candidate.client_authentication = ClientAuthentication.CLIENT_SECRET_POST
        candidate.well_known_url = ""
        candidate.scopes = []
        candidate.claims_mapping = {}
    if provider.kind in {ProviderKind.GOOGLE, ProviderKind.APPLE}:
        candidate.trusted_for_email = True
    _validate(
        candidate,
        secret=secret,
        secret_was_key=was_key,
        generate_key_pair=generate_key_pair,
        fetch=fetch,
    )
    candidate.updated_at = timezone.now()
    candidate.save()
    for field in (*_UPDATABLE, "secret_encrypted", "metadata", "issuer", "updated_at"):
        setattr(provider, field, getattr(candidate, field))
    return provider


def identity_provider_delete(*, provider: IdentityProvider) -> None:
    """Remove the registration; the user flows that offered it no longer do (the M2M's rows go
    with it). Customers who signed in through it keep their accounts, but their identities at
    it are unlinked: a provider added later under the same name (another issuer, perhaps)
    must never sign anyone in through a link made with this one. A customer who comes back
    through a provider added again is offered a link or a sign-up, as anyone new."""
    with transaction.atomic():
        SocialAccount.objects.filter(provider=provider.slug).delete()
        provider.delete()
