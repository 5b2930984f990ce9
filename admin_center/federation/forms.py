"""One form per kind of identity provider, the fields Entra asks for; an edit leaves the secret
field empty (empty keeps the stored secret, which is never shown). An OpenID Provider's form
also holds its claims mapping: one field per attribute of the tenant, the provider's claim."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from federation.claims import MAX_CLAIM_NAME, is_claim_name
from federation.models import ClientAuthentication, IdentityProvider, ProviderKind
from federation.selectors import ClaimTarget
from federation.services import DEFAULT_OIDC_SCOPES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_KEEP = _("Leave empty to keep the stored one; it is never shown again.")


class ProviderForm(forms.Form):
    """Google and Facebook: the app's client ID and secret at the provider."""

    display_name = forms.CharField(label=_("Name"), max_length=128)
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    secret = forms.CharField(
        label=_("Client secret"),
        max_length=16384,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claim_targets: list[ClaimTarget] = []  # an OpenID Provider's claims mapping
        if editing:
            self.fields["secret"].required = False
            self.fields["secret"].help_text = _KEEP
            self.fields.pop("slug", None)

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned values, named as the federation services take them."""
        return dict(self.cleaned_data)

    def settings_fields(self) -> list[BoundField]:
        """The fields shown as a list (all but a claims mapping's)."""
        return list(self)


class FacebookForm(ProviderForm):
    trusted_for_email = forms.BooleanField(
        label=_("Trust the email addresses Facebook reports as verified"), required=False
    )


class AppleForm(ProviderForm):
    """Sign in with Apple: the Services ID, the team, and the private key Apple issued."""

    team_id = forms.CharField(label=_("Apple Developer team ID"), max_length=64)
    key_id = forms.CharField(label=_("Key ID"), max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client_id"].label = _("Services ID (client ID)")
        secret = self.fields["secret"]
        secret.label = _("Private key (.p8 file contents)")
        secret.widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false"})
        self.order_fields(["display_name", "client_id", "team_id", "key_id", "secret"])


def claim_name_check(value: str) -> None:
    if not is_claim_name(value):
        raise ValidationError(
            _(
                "Use a plain claim name: letters, digits and _ - . : only, at most %(max)d "
                "characters."
            ),
            params={"max": MAX_CLAIM_NAME},
            code="claim_name",
        )


def claim_field_name(target: ClaimTarget) -> str:
    """The form field of an attribute's claim: `claim_` and the attribute's name (unique: a
    custom attribute cannot take a built-in attribute's name)."""
    return f"claim_{target.name}"


class OpenIDConnectForm(ProviderForm):
    """A custom OpenID Provider: its well-known configuration, our client there, and its claims
    mapping (federation/claims.py): for each of `claim_targets`, the provider's claim that
    fills it, empty for none; sub, email and email_verified are required, a sign-in reads
    them. A new provider's fields start at the standard claims (OIDC Core §5.1); an edit's at
    `mapping`, what a sign-in reads now (`federation.selectors.claims_mapping_of`)."""

    slug = forms.SlugField(
        label=_("Identifier"),
        max_length=64,
        required=False,
        help_text=_(
            "Part of the redirect URL, derived from the name when empty; it never changes."
        ),
    )
    well_known_url = forms.URLField(
        label=_("Well-known configuration URL"),
        max_length=2048,
        assume_scheme="https",
        help_text=_("Ends with /.well-known/openid-configuration."),
    )
    client_authentication = forms.ChoiceField(
        label=_("Client authentication"),
        choices=ClientAuthentication.choices,
        initial=ClientAuthentication.CLIENT_SECRET_POST,
        widget=forms.RadioSelect,
    )
    generate_key_pair = forms.BooleanField(
        label=_("Generate a key pair (private_key_jwt)"),
        required=False,
        help_text=_(
            "An RSA 2048 key made here instead of pasting one. The private key is kept "
            "encrypted and never shown; register the certificate shown on the provider's page."
        ),
    )
    key_id = forms.CharField(
        label=_("Key ID (private_key_jwt)"),
        max_length=64,
        required=False,
        help_text=_(
            "The kid our client assertions carry; empty: the key's thumbprint (RFC 7638), "
            "which a generated key always uses."
        ),
    )
    scopes = forms.CharField(
        label=_("Scopes"),
        max_length=1024,
        initial=" ".join(DEFAULT_OIDC_SCOPES),
        help_text=_("Separated by spaces; openid is required."),
    )
    trusted_for_email = forms.BooleanField(
        label=_("Trust the email addresses this provider reports as verified"), required=False
    )

    def __init__(
        self,
        *args: Any,
        claim_targets: Sequence[ClaimTarget] = (),
        mapping: Mapping[str, str] | None = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, editing=editing, **kwargs)
        secret = self.fields["secret"]
        secret.label = _("Client secret, or the private key (PEM) for private_key_jwt")
        secret.widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})
        # With private_key_jwt the key may be generated instead: the service says what is
        # missing.
        secret.required = False
        if editing:
            self.fields["generate_key_pair"].label = _(
                "Generate a new key pair (private_key_jwt), replacing the stored key"
            )
        self.order_fields(
            [
                "display_name",
                "slug",
                "well_known_url",
                "client_id",
                "client_authentication",
                "secret",
                "generate_key_pair",
                "key_id",
                "scopes",
                "trusted_for_email",
            ]
        )
        self.claim_targets = list(claim_targets)
        for target in self.claim_targets:
            self.fields[claim_field_name(target)] = forms.CharField(
                label=str(target.label),
                required=target.sign_in,
                initial=(
                    target.standard_claim if mapping is None else mapping.get(target.name, "")
                ),
                validators=[claim_name_check],
                error_messages={"required": _("A sign-in reads this: name the provider's claim.")},
                widget=forms.TextInput(
                    attrs={
                        "maxlength": MAX_CLAIM_NAME,
                        "autocomplete": "off",
                        "spellcheck": "false",
                        "autocapitalize": "none",
                    }
                ),
            )

    def clean_scopes(self) -> list[str]:
        return str(self.cleaned_data["scopes"]).split()

    def service_arguments(self) -> dict[str, Any]:
        """The settings, and the claims mapping of the attributes given a claim."""
        claim_fields = {claim_field_name(target): target.name for target in self.claim_targets}
        arguments = {
            name: value for name, value in self.cleaned_data.items() if name not in claim_fields
        }
        if claim_fields:
            arguments["claims_mapping"] = {
                attribute: self.cleaned_data[field]
                for field, attribute in claim_fields.items()
                if self.cleaned_data.get(field)
            }
        return arguments

    def settings_fields(self) -> list[BoundField]:
        claim_fields = {claim_field_name(target) for target in self.claim_targets}
        return [field for field in self if field.name not in claim_fields]

    def claim_groups(self) -> list[tuple["StrOrPromise", list[tuple[ClaimTarget, BoundField]]]]:
        """The claims mapping table's row groups: what a sign-in reads, the built-in
        attributes, the custom attributes (each with its field)."""
        groups: list[tuple[StrOrPromise, list[tuple[ClaimTarget, BoundField]]]] = [
            (_("Needed to sign in"), []),
            (_("Built-in attributes"), []),
            (_("Custom attributes"), []),
        ]
        for target in self.claim_targets:
            group = 0 if target.sign_in else 2 if target.custom else 1
            groups[group][1].append((target, self[claim_field_name(target)]))
        return [(heading, rows) for heading, rows in groups if rows]


FORMS: dict[str, type[ProviderForm]] = {
    ProviderKind.GOOGLE: ProviderForm,
    ProviderKind.FACEBOOK: FacebookForm,
    ProviderKind.APPLE: AppleForm,
    ProviderKind.OPENID_CONNECT: OpenIDConnectForm,
}


def initial_of(provider: IdentityProvider) -> dict[str, Any]:
    """The edit form's values for a stored provider (never its secret)."""
    return {
        "display_name": provider.display_name,
        "client_id": provider.client_id,
        "team_id": provider.team_id,
        "key_id": provider.key_id,
        "well_known_url": provider.well_known_url,
        "client_authentication": provider.client_authentication,
        "scopes": " ".join(provider.scopes),
        "trusted_for_email": provider.trusted_for_email,
    }
