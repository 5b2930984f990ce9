from datetime import date, datetime, time
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.models import AllowedMemberTypes, AppRole, GroupMembershipClaims, Platform
from apps.services import RECOMMENDED_SECRET_LIFETIME_DAYS, SECRET_LIFETIMES_DAYS


def uri_lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class FormBesideOthers(forms.Form):
    """A form shown on one page with other forms that have fields of the same names: its
    inputs' ids start with `id_prefix`, so no two inputs of the page share an id and each label
    names its own input."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AppRegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    platform = forms.ChoiceField(
        label=_("Platform"),
        choices=Platform.choices,
        widget=forms.RadioSelect,
        initial=Platform.WEB,
    )
    redirect_uri = forms.CharField(
        label=_("Redirect URI (optional)"),
        required=False,
        max_length=256,
        help_text=_("Where we send the customer back after sign-in. You can add more later."),
    )


class LogoutForm(FormBesideOthers):
    """The app's sign-out settings (Entra's `web.logoutUrl` and post-logout redirect URIs)."""

    id_prefix = "logout"
    post_logout_redirect_uris = forms.CharField(
        label=_("Post-logout redirect URIs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    front_channel_logout_url = forms.CharField(
        label=_("Front-channel logout URL"), required=False, max_length=256
    )


_URIS_HELP = _("One per line, matched exactly. https, or http for localhost only.")


class PlatformUrisForm(forms.Form):
    """One platform's redirect URIs; its inputs' ids carry the platform, as the page shows
    one such form per platform."""

    redirect_uris = forms.CharField(
        label=_("Redirect URIs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_URIS_HELP,
    )

    def __init__(self, *args: Any, platform: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{platform}_%s")
        super().__init__(*args, **kwargs)


class PlatformAddForm(FormBesideOthers):
    """Add a platform: which, and its first redirect URIs."""

    id_prefix = "add"
    platform = forms.ChoiceField(label=_("Platform"), widget=forms.RadioSelect)
    redirect_uris = forms.CharField(
        label=_("Redirect URIs"),
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=_URIS_HELP,
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        platform = cast(forms.ChoiceField, self.fields["platform"])
        platform.choices = choices
        if choices:
            platform.initial = choices[0][0]


class SecretAddForm(FormBesideOthers):
    """A new client secret's description and expiry: one choice of lifetimes whose last is
    "Custom", and the date, required only for Custom (the page shows it only then)."""

    id_prefix = "secret"

    description = forms.CharField(label=_("Description"), max_length=100, required=False)
    lifetime = forms.ChoiceField(
        label=_("Expires"),
        choices=[
            *[
                (
                    str(days),
                    _("%(days)d days%(note)s")
                    % {
                        "days": days,
                        "note": _(" (recommended)")
                        if days == RECOMMENDED_SECRET_LIFETIME_DAYS
                        else "",
                    },
                )
                for days in SECRET_LIFETIMES_DAYS
            ],
            ("custom", _("Custom")),
        ],
        initial=str(RECOMMENDED_SECRET_LIFETIME_DAYS),
    )
    custom_expiry = forms.DateField(
        label=_("Custom expiry date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lifetime") == "custom" and not data.get("custom_expiry"):
            self.add_error("custom_expiry", _("Choose the expiry date."))
        return data

    def expiry(self) -> tuple[int | None, datetime | None]:
        if self.cleaned_data["lifetime"] == "custom":
            day: date = self.cleaned_data["custom_expiry"]
            return None, timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
        return int(self.cleaned_data["lifetime"]), None


class CertificateAddForm(FormBesideOthers):
    id_prefix = "certificate"

    pem = forms.CharField(
        label=_("Public key or certificate (PEM)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        max_length=20_000,
    )
    description = forms.CharField(label=_("Description"), max_length=100, required=False)


class AppIdUriForm(FormBesideOthers):
    id_prefix = "uri"

    app_id_uri = forms.CharField(label=_("Application ID URI"), max_length=255)


class ScopeAddForm(FormBesideOthers):
    id_prefix = "scope"

    value = forms.CharField(label=_("Scope name"), max_length=120)
    display_name = forms.CharField(label=_("Admin consent display name"), max_length=100)
    description = forms.CharField(
        label=_("Admin consent description"), max_length=1024, required=False
    )


class RoleAddForm(FormBesideOthers):
    id_prefix = "role"

    value = forms.CharField(label=_("Value"), max_length=120)
    display_name = forms.CharField(label=_("Display name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=1024, required=False)
    allowed_member_types = forms.ChoiceField(
        label="Allowed member types",
        choices=AllowedMemberTypes.choices,
        initial=AllowedMemberTypes.APPLICATION,
        widget=forms.RadioSelect,
        required=False,
        help_text="Users/Groups: assigned under the app's Users and groups; Applications: "
        "granted to daemons as an application permission.",
    )

    def clean_allowed_member_types(self) -> str:
        # Left out, a role is an application permission, as every role was before.
        return str(self.cleaned_data.get("allowed_member_types") or AllowedMemberTypes.APPLICATION)


class RoleMemberTypesForm(forms.Form):
    """One role's allowed member types, changed in its row of the App roles list."""

    allowed_member_types = forms.ChoiceField(
        label="Allowed member types", choices=AllowedMemberTypes.choices
    )


class AssignmentForm(forms.Form):
    """Assign one of the app's roles for users to a customer (by email) or a group (by name)."""

    role = forms.ChoiceField(label="Role")
    email = forms.EmailField(label="Customer's email address", required=False, max_length=254)
    group = forms.CharField(label="or group name", required=False, max_length=256)

    def __init__(self, *args: Any, roles: list[AppRole], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["role"])
        field.choices = [
            ("", "Select a role"),
            *((str(role.role_id), f"{role.display_name} ({role.value})") for role in roles),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("email")) == bool(cleaned.get("group")):
            raise forms.ValidationError("Give a customer's email address or a group's name.")
        return cleaned


class GroupsClaimForm(forms.Form):
    group_membership_claims = forms.ChoiceField(
        label="Groups in the ID and access tokens",
        choices=GroupMembershipClaims.choices,
        widget=forms.RadioSelect,
        help_text="The groups claim holds the groups' object IDs. Past 200 groups a token "
        "names none and points to the customer's memberOf endpoint instead (overage).",
    )


class PermissionAddForm(forms.Form):
    permission = forms.ChoiceField(label=_("Permission"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["permission"])
        field.choices = [("", _("Select a permission")), *choices]


class TokenLifetimesForm(forms.Form):
    access_token_minutes = forms.IntegerField(label=_("Access token lifetime (minutes)"))
    id_token_minutes = forms.IntegerField(label=_("ID token lifetime (minutes)"))
    spa_refresh_token_hours = forms.IntegerField(
        label=_("Refresh token lifetime for single-page apps (hours)")
    )
    refresh_token_days = forms.IntegerField(label=_("Refresh token lifetime for other apps (days)"))
