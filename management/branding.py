"""`/organization/branding`: the tenant's company branding (Graph's organizationalBranding), its
language layers (`/localizations/{lang}`), its images as raw bodies (`/{imageKind}`), an app's
layers (`/applications/{appId}`, `/applications/{appId}/localizations/{lang}`), the language
overrides of the hosted pages' strings (`/languages/{lang}/overrides`) and the tenant's default
language (`/languages`).

branding/services.py and branding/languages.py check everything (colours, URLs, lengths,
sanitised CSS, each image's real format, size and pixels, each override's string ID) and store
nothing unless all of it passes; this module shapes JSON and audits with the admin center's
actions. An element set to null (or "") is inherited: from the layer below in a language's
layer, from the product's neutral default in the tenant's (branding/selectors.py resolves a
page's layers). An app's layers take their images from the layers below (their images are
the admin center's, for now).
"""

import json
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.models import AppRegistration, Platform
from apps.selectors import app_list
from branding.exceptions import BrandingInvalid
from branding.images import IMAGE_RULES, MIME_BY_EXTENSION
from branding.languages import (
    LanguageOverridesInvalid,
    language_overrides_get,
    language_overrides_locales,
    language_overrides_remove,
    language_overrides_upload,
    shipped_language,
)
from branding.models import Branding, ImageElement, LayoutTemplate
from branding.selectors import IMAGE_FIELDS, VALUE_FIELDS, branding_image_url
from branding.services import branding_layer_delete, branding_layer_save
from branding.storage import branding_storage
from management.auditing import api_actor, api_audit
from management.base import ManagementView
from management.permissions import needs
from management.preconditions import etag_of, precondition_check, with_etag
from management.strict import StrictSerializer
from tenants.current import current_tenant
from tenants.models import AuditAction, Tenant
from tenants.schemas import in_public_schema
from tenants.services import tenant_default_language_set

BRANDING_ROLES = needs(
    read=("OrganizationalBranding.Read.All",), write=("OrganizationalBranding.ReadWrite.All",)
)
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)

# The API's (Graph's, where Graph has the element) name of each element of a layer.
API_NAME = {
    "background_color": "backgroundColor",
    "layout_template": "layoutTemplate",
    "show_header": "showHeader",
    "show_footer": "showFooter",
    "username_hint": "usernameHintText",
    "sign_in_text": "signInPageText",
    "show_sspr_link": "showSelfServicePasswordReset",
    "show_privacy_link": "showPrivacyAndCookies",
    "privacy_link_text": "customPrivacyAndCookiesText",
    "privacy_link_url": "customPrivacyAndCookiesUrl",
    "show_terms_link": "showTermsOfUse",
    "terms_link_text": "customTermsOfUseText",
    "terms_link_url": "customTermsOfUseUrl",
    "accent_color": "accentColor",
    "custom_css": "customCss",
}
FIELD_FOR_API = {api: field for field, api in API_NAME.items()}
# Graph's names of the images, as the path's {imageKind}.
IMAGE_KIND = {
    ImageElement.FAVICON: "favicon",
    ImageElement.BACKGROUND_IMAGE: "backgroundImage",
    ImageElement.BANNER_LOGO: "bannerLogo",
    ImageElement.HEADER_LOGO: "headerLogo",
    ImageElement.SQUARE_LOGO_LIGHT: "squareLogo",
    ImageElement.SQUARE_LOGO_DARK: "squareLogoDark",
}
FIELD_FOR_KIND = {kind: str(field) for field, kind in IMAGE_KIND.items()}
if set(API_NAME) != set(VALUE_FIELDS) or set(IMAGE_KIND) != set(IMAGE_FIELDS):  # pragma: no cover
    raise ImportError("management/branding.py: every branding element needs its API name")
IMAGE_TYPES = sorted(set(MIME_BY_EXTENSION.values()) | {"image/vnd.microsoft.icon"})
DEFAULT_ID = "0"  # Graph's ID of the default (every language's) branding


# --- Serializers ----------------------------------------------------------------------------


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(allow_null=True, allow_blank=True, trim_whitespace=False, **kwargs)


def _flag() -> serializers.BooleanField:
    return serializers.BooleanField(allow_null=True)


def _layer_fields(required: bool) -> dict[str, serializers.Field]:
    options = {} if required else {"required": False}
    return {
        "backgroundColor": _text(help_text="#rrggbb", **options),
        "layoutTemplate": serializers.ChoiceField(
            choices=LayoutTemplate.values, allow_null=True, allow_blank=True, **options
        ),
        "showHeader": serializers.BooleanField(allow_null=True, **options),
        "showFooter": serializers.BooleanField(allow_null=True, **options),
        "usernameHintText": _text(**options),
        "signInPageText": _text(help_text="Markdown: bold, italics, links.", **options),
        "showSelfServicePasswordReset": serializers.BooleanField(allow_null=True, **options),
        "showPrivacyAndCookies": serializers.BooleanField(allow_null=True, **options),
        "customPrivacyAndCookiesText": _text(**options),
        "customPrivacyAndCookiesUrl": _text(**options),
        "showTermsOfUse": serializers.BooleanField(allow_null=True, **options),
        "customTermsOfUseText": _text(**options),
        "customTermsOfUseUrl": _text(**options),
        "accentColor": _text(help_text="#rrggbb", **options),
        "customCss": _text(help_text="Sanitised on save: no outside resource.", **options),
    }


BrandingSerializer = type(
    "BrandingSerializer",
    (serializers.Serializer,),
    {
        "id": serializers.CharField(help_text=f"`{DEFAULT_ID}`, or the layer's language."),
        **_layer_fields(required=True),
        **{
            f"{kind}RelativeUrl": serializers.CharField(
                allow_null=True, help_text="Where the hosted pages load the image from."
            )
            for kind in IMAGE_KIND.values()
        },
    },
)
BrandingUpdateSerializer = type(
    "BrandingUpdateSerializer", (StrictSerializer,), _layer_fields(required=False)
)


class BrandingListSerializer(serializers.Serializer):
    value = BrandingSerializer(many=True)


class LanguageSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The language's code.")
    displayName = serializers.CharField()
    hasOverrides = serializers.BooleanField()


class LanguagesSerializer(serializers.Serializer):
    defaultLanguage = serializers.CharField(
        help_text="What the hosted pages speak when nothing else chooses."
    )
    value = LanguageSerializer(many=True)


class LanguagesUpdateSerializer(StrictSerializer):
    defaultLanguage = serializers.ChoiceField(choices=[code for code, _ in settings.LANGUAGES])


OVERRIDES_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "String ID (`SignIn_Title`, …) → the tenant's text in this language.",
}


# --- Representations ------------------------------------------------------------------------


def layer_representation(tenant: Tenant, layer: Branding | None, locale: str) -> dict[str, Any]:
    representation: dict[str, Any] = {"id": locale or DEFAULT_ID}
    for field, api in API_NAME.items():
        representation[api] = getattr(layer, field) if layer is not None else None
    for field, kind in IMAGE_KIND.items():
        file = getattr(layer, field) if layer is not None else None
        representation[f"{kind}RelativeUrl"] = (
            branding_image_url(tenant, file.name) if file else None
        )
    return representation


def _recorded(layer: Branding | None) -> dict[str, object]:
    """What the audit log keeps of a layer (as the admin center records it): its values and its
    images' stored names (content hashes, not the images)."""
    if layer is None:
        return dict.fromkeys((*VALUE_FIELDS, *IMAGE_FIELDS))
    values: dict[str, object] = {name: getattr(layer, name) for name in VALUE_FIELDS}
    for name in IMAGE_FIELDS:
        file = getattr(layer, name)
        values[name] = file.name if file else None
    return values


def layer_name(locale: str, app: AppRegistration | None = None) -> str:
    """How the audit log names a layer (as the admin center does)."""
    where = "Company branding" if app is None else f"{app.name} ({app.client_id})"
    which = dict(settings.LANGUAGES).get(locale, locale) if locale else "default"
    return f"{where} ({which})"


def _layer(
    locale: str, *, app: AppRegistration | None = None, lock: bool = False
) -> Branding | None:
    layers = Branding.objects.select_for_update() if lock else Branding.objects.all()
    found: Branding | None = layers.filter(app=app, locale=locale).first()
    return found


def _app_or_404(app_id: uuid.UUID) -> AppRegistration:
    """An app that signs customers in (daemons wear no branding), by its object ID."""
    app: AppRegistration | None = (
        app_list().exclude(platform=Platform.DAEMON).filter(object_id=app_id).first()
    )
    if app is None:
        raise exceptions.NotFound("No app that signs customers in has this ID.")
    return app


def _locale_or_404(locale: str) -> str:
    if not shipped_language(locale):
        raise exceptions.NotFound("The product does not speak this language.")
    return locale


def _branding_errors(invalid: BrandingInvalid) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {
            API_NAME.get(name, IMAGE_KIND.get(name, name)): messages  # type: ignore[call-overload]
            for name, messages in invalid.errors.items()
        }
    )


def _layer_update(request: Request, locale: str, app: AppRegistration | None = None) -> Response:
    """PATCH of the layer of `app` (None: the tenant's) for `locale` ("" = every language),
    created if need be."""
    incoming = BrandingUpdateSerializer(data=request.data)
    incoming.is_valid(raise_exception=True)
    values = {FIELD_FOR_API[api]: value for api, value in incoming.validated_data.items()}
    tenant = current_tenant()
    with transaction.atomic():
        layer = _layer(locale, app=app, lock=True)
        precondition_check(request, layer_representation(tenant, layer, locale))
        before = _recorded(layer)
        try:
            saved = branding_layer_save(
                app_id=app.pk if app is not None else None, locale=locale, values=values, images={}
            )
        except BrandingInvalid as invalid:
            raise _branding_errors(invalid) from invalid
        after = _recorded(saved)
        if before != after or layer is None:
            api_audit(
                request,
                AuditAction.BRANDING_UPDATED,
                target=layer_name(locale, app),
                before=before,
                after=after,
            )
    representation = layer_representation(tenant, saved, locale)
    return with_etag(Response(representation), representation)


# --- Company branding and its language layers ------------------------------------------------


class BrandingView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_get",
        summary="Read the company branding",
        description="The tenant's default layer: null elements show the neutral default.",
        responses=BrandingSerializer,
    )
    def get(self, request: Request) -> Response:
        representation = layer_representation(current_tenant(), _layer(""), "")
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="branding_update",
        summary="Update the company branding",
        description=(
            'Only the elements sent change; null or "" resets one to the neutral default. '
            "Every element is checked first: nothing is stored unless all pass. Images: "
            "`PUT /organization/branding/{imageKind}`. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request=BrandingUpdateSerializer,
        responses=BrandingSerializer,
    )
    def patch(self, request: Request) -> Response:
        return _layer_update(request, "")


class LocalizationsView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_localizations_list",
        summary="List the company branding's language layers",
        responses=BrandingListSerializer,
    )
    def get(self, request: Request) -> Response:
        tenant = current_tenant()
        layers = Branding.objects.filter(app__isnull=True).exclude(locale="").order_by("locale")
        return Response(
            {"value": [layer_representation(tenant, layer, layer.locale) for layer in layers]}
        )


class LocalizationView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_localizations_get",
        summary="Read a language layer of the company branding",
        description="404 while the language has no layer of its own.",
        responses=BrandingSerializer,
    )
    def get(self, request: Request, locale: str) -> Response:
        layer = _layer(_locale_or_404(locale))
        if layer is None:
            raise exceptions.NotFound("This language has no branding of its own.")
        representation = layer_representation(current_tenant(), layer, locale)
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="branding_localizations_update",
        summary="Create or update a language layer of the company branding",
        description=(
            "Only the elements sent change; a null element is inherited from the default "
            "layer. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request=BrandingUpdateSerializer,
        responses=BrandingSerializer,
    )
    def patch(self, request: Request, locale: str) -> Response:
        return _layer_update(request, _locale_or_404(locale))

    @extend_schema(
        operation_id="branding_localizations_delete",
        summary="Remove a language layer",
        description="Its pages wear the default layer again.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Removed (or there was none).")},
    )
    def delete(self, request: Request, locale: str) -> Response:
        return _layer_delete(request, _locale_or_404(locale))


def _layer_delete(request: Request, locale: str, app: AppRegistration | None = None) -> Response:
    """DELETE of a layer: its elements are inherited again."""
    with transaction.atomic():
        layer = _layer(locale, app=app, lock=True)
        precondition_check(request, layer_representation(current_tenant(), layer, locale))
        if layer is not None:
            before = _recorded(layer)
            branding_layer_delete(app_id=app.pk if app is not None else None, locale=locale)
            api_audit(
                request,
                AuditAction.BRANDING_REMOVED,
                target=layer_name(locale, app),
                before=before,
                after=_recorded(None),
            )
    return Response(status=status.HTTP_204_NO_CONTENT)


# --- An app's layers ------------------------------------------------------------------------


def _existing(locale: str, app: AppRegistration) -> Response:
    layer = _layer(locale, app=app)
    if layer is None:
        raise exceptions.NotFound("The app has no branding of its own here.")
    representation = layer_representation(current_tenant(), layer, locale)
    return with_etag(Response(representation), representation)


class AppBrandingView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_app_get",
        summary="Read an app's branding",
        description=(
            "The layer the app's sign-in pages wear over the company branding (`{appId}`: the "
            "app registration's object ID). 404 while the app has none."
        ),
        responses=BrandingSerializer,
    )
    def get(self, request: Request, app_id: uuid.UUID) -> Response:
        return _existing("", _app_or_404(app_id))

    @extend_schema(
        operation_id="branding_app_update",
        summary="Create or update an app's branding",
        description="A null element is inherited from the company branding. Send `If-Match`.",
        parameters=[IF_MATCH],
        request=BrandingUpdateSerializer,
        responses=BrandingSerializer,
    )
    def patch(self, request: Request, app_id: uuid.UUID) -> Response:
        return _layer_update(request, "", _app_or_404(app_id))

    @extend_schema(
        operation_id="branding_app_delete",
        summary="Remove an app's branding",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Removed (or there was none).")},
    )
    def delete(self, request: Request, app_id: uuid.UUID) -> Response:
        return _layer_delete(request, "", _app_or_404(app_id))


class AppLocalizationView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_app_localizations_get",
        summary="Read a language layer of an app's branding",
        responses=BrandingSerializer,
    )
    def get(self, request: Request, app_id: uuid.UUID, locale: str) -> Response:
        return _existing(_locale_or_404(locale), _app_or_404(app_id))

    @extend_schema(
        operation_id="branding_app_localizations_update",
        summary="Create or update a language layer of an app's branding",
        description="The most specific layer: over the app's, the language's and the company's.",
        parameters=[IF_MATCH],
        request=BrandingUpdateSerializer,
        responses=BrandingSerializer,
    )
    def patch(self, request: Request, app_id: uuid.UUID, locale: str) -> Response:
        return _layer_update(request, _locale_or_404(locale), _app_or_404(app_id))

    @extend_schema(
        operation_id="branding_app_localizations_delete",
        summary="Remove a language layer of an app's branding",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Removed (or there was none).")},
    )
    def delete(self, request: Request, app_id: uuid.UUID, locale: str) -> Response:
        return _layer_delete(request, _locale_or_404(locale), _app_or_404(app_id))


# --- Images ---------------------------------------------------------------------------------


class ImageParser(BaseParser):
    """An image as the raw request body; its format is decided from its content later."""

    media_type = "image/*"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> bytes:
        biggest = max(rule.max_bytes for rule in IMAGE_RULES.values())
        data = stream.read(biggest + 1) if stream is not None else b""
        return data if isinstance(data, bytes) else bytes(data)


class ImageRenderer(BaseRenderer):
    """Lets a client that accepts only images be answered; its problems stay JSON."""

    media_type = "image/*"
    format = "image"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode() if data is not None else b""


def _image_field(kind: str) -> str:
    field = FIELD_FOR_KIND.get(kind)
    if field is None:
        raise exceptions.NotFound(f"No branding image is called “{kind[:64]}”.")
    return field


def _image_state(layer: Branding | None, field: str) -> dict[str, Any]:
    file = getattr(layer, field) if layer is not None else None
    return {"image": file.name if file else None}


_IMAGE_RESPONSES: dict[Any, Any] = {
    (200, mime): OpenApiResponse(OpenApiTypes.BINARY, description="The image.")
    for mime in sorted(set(MIME_BY_EXTENSION.values()))
}


class BrandingImageView(ManagementView):
    roles = BRANDING_ROLES
    parser_classes = [ImageParser]
    renderer_classes = [JSONRenderer, ImageRenderer]

    @extend_schema(
        operation_id="branding_image_get",
        summary="Read a branding image",
        description=(
            "`imageKind`: favicon, backgroundImage, bannerLogo, headerLogo, squareLogo, "
            "squareLogoDark. 404 when the layer has none."
        ),
        responses=_IMAGE_RESPONSES,
    )
    def get(self, request: Request, kind: str, locale: str = "") -> HttpResponse:
        field = _image_field(kind)
        layer = _layer(_locale_or_404(locale) if locale else "")
        file = getattr(layer, field) if layer is not None else None
        if not file:
            raise exceptions.NotFound("The layer has no such image.")
        with branding_storage().open(file.name) as stored:
            content = stored.read()
        extension = file.name.rsplit(".", 1)[-1]
        response = HttpResponse(
            content, content_type=MIME_BY_EXTENSION.get(extension, "application/octet-stream")
        )
        response["Cache-Control"] = "no-cache"
        response["ETag"] = etag_of(_image_state(layer, field))
        return response

    @extend_schema(
        operation_id="branding_image_put",
        summary="Upload a branding image",
        description=(
            "The image is the raw body. Its format is read from its content (PNG or JPEG; ICO "
            "too for the favicon), its bytes and pixels are checked against the element's "
            "limits (Entra's recommended size, twice for high-DPI screens). `If-Match` takes "
            "the ETag a GET of the image answered (`*` for none yet)."
        ),
        parameters=[IF_MATCH],
        request=dict.fromkeys(IMAGE_TYPES, OpenApiTypes.BINARY),
        responses={204: OpenApiResponse(description="Stored.")},
    )
    def put(self, request: Request, kind: str, locale: str = "") -> Response:
        field = _image_field(kind)
        locale = _locale_or_404(locale) if locale else ""
        content = request.data
        if not isinstance(content, bytes) or not content:
            raise exceptions.ValidationError({kind: ["Send the image as the request body."]})
        with transaction.atomic():
            layer = _layer(locale, lock=True)
            precondition_check(request, _image_state(layer, field))
            before = _recorded(layer)
            try:
                saved = branding_layer_save(
                    app_id=None,
                    locale=locale,
                    values={},
                    images={field: ContentFile(content, name=f"{field}.upload")},
                )
            except BrandingInvalid as invalid:
                raise _branding_errors(invalid) from invalid
            after = _recorded(saved)
            if before != after:
                api_audit(
                    request,
                    AuditAction.BRANDING_UPDATED,
                    target=layer_name(locale),
                    before=before,
                    after=after,
                )
        response = Response(status=status.HTTP_204_NO_CONTENT)
        return with_etag(response, _image_state(saved, field))

    @extend_schema(
        operation_id="branding_image_delete",
        summary="Remove a branding image",
        description="The element is inherited again (the neutral default in the default layer).",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Removed (or there was none).")},
    )
    def delete(self, request: Request, kind: str, locale: str = "") -> Response:
        field = _image_field(kind)
        locale = _locale_or_404(locale) if locale else ""
        with transaction.atomic():
            layer = _layer(locale, lock=True)
            precondition_check(request, _image_state(layer, field))
            if layer is not None and getattr(layer, field):
                before = _recorded(layer)
                saved = branding_layer_save(
                    app_id=None, locale=locale, values={}, images={}, clear_images=[field]
                )
                api_audit(
                    request,
                    AuditAction.BRANDING_UPDATED,
                    target=layer_name(locale),
                    before=before,
                    after=_recorded(saved),
                )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Languages: the default language and the string overrides --------------------------------


def _languages_representation(tenant: Tenant) -> dict[str, Any]:
    customized = language_overrides_locales()
    return {
        "defaultLanguage": tenant.default_language,
        "value": [
            {"id": code, "displayName": str(name), "hasOverrides": code in customized}
            for code, name in settings.LANGUAGES
        ],
    }


@extend_schema_view(
    get=extend_schema(operation_id="branding_localization_image_get"),
    put=extend_schema(operation_id="branding_localization_image_put"),
    delete=extend_schema(operation_id="branding_localization_image_delete"),
)
class LocalizedBrandingImageView(BrandingImageView):
    """The same image, on a language's layer: its own operations in the OpenAPI document."""


class LanguagesView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_languages_get",
        summary="The languages of the hosted pages",
        description="Every language the product speaks, whether the tenant overrides its "
        "strings, and the tenant's default language.",
        responses=LanguagesSerializer,
    )
    def get(self, request: Request) -> Response:
        representation = _languages_representation(current_tenant())
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="branding_languages_update",
        summary="Choose the tenant's default language",
        description="What the hosted pages and emails speak when neither the app, the "
        "customer's preference nor the browser chooses one. Send `If-Match`.",
        parameters=[IF_MATCH],
        request=LanguagesUpdateSerializer,
        responses=LanguagesSerializer,
    )
    def patch(self, request: Request) -> Response:
        incoming = LanguagesUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        actor = api_actor(request)
        tenant = current_tenant()
        with transaction.atomic():
            # Tenants are rows of the public schema; the overrides are the tenant's own.
            with in_public_schema():
                tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
            precondition_check(request, _languages_representation(tenant))
            with in_public_schema():
                # The service audits the change itself, with the calling app.
                tenant = tenant_default_language_set(
                    tenant=tenant,
                    language=incoming.validated_data["defaultLanguage"],
                    actor=actor.operator,
                    actor_name=actor.name,
                    audit_context=actor.context,
                )
        representation = _languages_representation(tenant)
        return with_etag(Response(representation), representation)


class LanguageOverridesView(ManagementView):
    roles = BRANDING_ROLES

    @extend_schema(
        operation_id="branding_language_overrides_get",
        summary="Read a language's string overrides",
        description="Empty when the tenant overrides none of the language's strings.",
        responses={200: OVERRIDES_SCHEMA},
    )
    def get(self, request: Request, locale: str) -> Response:
        representation = language_overrides_get(locale=_locale_or_404(locale))
        return with_etag(Response(representation), representation)

    @extend_schema(
        operation_id="branding_language_overrides_put",
        summary="Replace a language's string overrides",
        description=(
            "The whole file, as the admin center uploads it (the last one wins, for Company "
            "branding and every user flow alike): each key a string ID, each value a "
            "non-empty text within that string's length. A file with any problem stores "
            "nothing. Send `If-Match`."
        ),
        parameters=[IF_MATCH],
        request={"application/json": OVERRIDES_SCHEMA},
        responses={200: OVERRIDES_SCHEMA},
    )
    def put(self, request: Request, locale: str) -> Response:
        locale = _locale_or_404(locale)
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError(
                {"overrides": ["Send one JSON object of string IDs and texts."]}
            )
        data = json.dumps(request.data, ensure_ascii=False).encode()
        with transaction.atomic():
            precondition_check(request, language_overrides_get(locale=locale))
            try:
                stored = language_overrides_upload(locale=locale, data=data)
            except LanguageOverridesInvalid as invalid:
                raise exceptions.ValidationError({"overrides": invalid.errors}) from invalid
            api_audit(
                request,
                AuditAction.LANGUAGE_OVERRIDES_UPLOADED,
                target=f"language overrides {locale}",
                details={"locale": locale, "keys": sorted(stored), "from": "management API"},
            )
        return with_etag(Response(stored), stored)

    @extend_schema(
        operation_id="branding_language_overrides_delete",
        summary="Remove a language's string overrides",
        description="Its pages show the default texts again. Send `If-Match`.",
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Removed (or there were none).")},
    )
    def delete(self, request: Request, locale: str) -> Response:
        locale = _locale_or_404(locale)
        with transaction.atomic():
            precondition_check(request, language_overrides_get(locale=locale))
            if language_overrides_remove(locale=locale):
                api_audit(
                    request,
                    AuditAction.LANGUAGE_OVERRIDES_REMOVED,
                    target=f"language overrides {locale}",
                    details={"locale": locale, "from": "management API"},
                )
        return Response(status=status.HTTP_204_NO_CONTENT)
