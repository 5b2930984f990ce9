"""One form per kind of identity provider, the fields Entra asks for; an edit leaves the secret
field empty (empty keeps the stored secret, which is never shown)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from federation.claims import STANDARD_CLAIMS
from federation.models import ClientAuthentication, IdentityProvider, ProviderKind
from federation.services import DEFAULT_OIDC_SCOPES

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
        if editing:
            self.fields["secret"].required = False
            self.fields["secret"].help_text = _KEEP
            self.fields.pop("slug", None)

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned values, named as the federation services take them."""
        return dict(self.cleaned_data)


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


class OpenIDConnectForm(ProviderForm):
    """A custom OpenID Provider: its well-known configuration, our client there, and how its
    claims fill our attributes (one `attribute: claim` a line)."""

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
    key_id = forms.CharField(label=_("Key ID (private_key_jwt)"), max_length=64, required=False)
    scopes = forms.CharField(
        label=_("Scopes"),
        max_length=1024,
        initial=" ".join(DEFAULT_OIDC_SCOPES),
        help_text=_("Separated by spaces; openid is required."),
    )
    claims_mapping = forms.CharField(
        label=_("Claims mapping"),
        max_length=4096,
        initial="\n".join(f"{key}: {value}" for key, value in STANDARD_CLAIMS.items()),
        widget=forms.Textarea(attrs={"rows": 7, "spellcheck": "false"}),
        help_text=_(
            "One “attribute: claim” a line: our attribute (sub, email, email_verified, "
            "given_name, surname, display_name or a custom attribute) and the provider's claim."
        ),
    )
    trusted_for_email = forms.BooleanField(
        label=_("Trust the email addresses this provider reports as verified"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        secret = self.fields["secret"]
        secret.label = _("Client secret, or the private key (PEM) for private_key_jwt")
        secret.widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})
        self.order_fields(
            [
                "display_name",
                "slug",
                "well_known_url",
                "client_id",
                "client_authentication",
                "secret",
                "key_id",
                "scopes",
                "claims_mapping",
                "trusted_for_email",
            ]
        )

    def clean_scopes(self) -> list[str]:
        return str(self.cleaned_data["scopes"]).split()

    def clean_claims_mapping(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for number, line in enumerate(str(self.cleaned_data["claims_mapping"]).splitlines(), 1):
            if not line.strip():
                continue
            target, separator, claim = line.partition(":")
            if not separator or not target.strip() or not claim.strip():
                raise forms.ValidationError(
                    _("Line %(number)d: write “attribute: claim”."), params={"number": number}
                )
            mapping[target.strip()] = claim.strip()
        return mapping


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
        "claims_mapping": "\n".join(f"{k}: {v}" for k, v in provider.claims_mapping.items()),
        "trusted_for_email": provider.trusted_for_email,
    }
