"""Writes about user flows: creation within the limit of ten, page layout, app assignment."""

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.attributes import BUILTIN_ATTRIBUTES, INPUT_TYPES_WITH_OPTIONS, input_types_for
from accounts.models import CustomAttribute
from apps.models import AppRegistration, Platform
from userflows.models import MAX_USER_FLOWS, FlowLock, SignInMethod, UserFlow, UserFlowAttribute


class UserFlowLimitReached(Exception):
    """The tenant already has ten user flows."""


def userflow_create(
    *,
    name: str,
    sign_in_method: str = SignInMethod.EMAIL_PASSWORD,
    sign_up_allowed: bool = True,
    builtin_attributes: Iterable[str] = (),
    custom_attributes: Iterable[CustomAttribute] = (),
) -> UserFlow:
    """Create a user flow that collects Email Address plus the given attributes, in order.

    The limit of ten holds under concurrent creation: creators serialise on the tenant's lock
    row and count inside the lock.
    """
    name = name.strip()
    if not name or len(name) > 128:
        raise ValidationError({"name": _("Give the user flow a name of 1 to 128 characters.")})
    if sign_in_method not in SignInMethod.values:
        raise ValidationError({"sign_in_method": _("Choose a sign-in method.")})
    unknown = [key for key in builtin_attributes if key not in BUILTIN_ATTRIBUTES]
    if unknown:
        raise ValidationError({"builtin_attributes": _("Unknown attribute.")})
    with transaction.atomic():
        FlowLock.objects.get_or_create(singleton=True)
        FlowLock.objects.select_for_update().get(singleton=True)
        if UserFlow.objects.count() >= MAX_USER_FLOWS:
            raise UserFlowLimitReached()
        if UserFlow.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": _("Another user flow has this name.")})
        flow = UserFlow.objects.create(
            name=name, sign_in_method=sign_in_method, sign_up_allowed=sign_up_allowed
        )
        keys = ["email", *[key for key in builtin_attributes if key != "email"]]
        position = 0
        for key in keys:
            UserFlowAttribute.objects.create(
                flow=flow, builtin=key, required=key == "email", position=position
            )
            position += 1
        for attribute in custom_attributes:
            UserFlowAttribute.objects.create(
                flow=flow,
                custom_attribute=attribute,
                input_type=input_types_for(attribute.data_type)[0],
                position=position,
            )
            position += 1
    return flow


def userflow_update(
    *, flow: UserFlow, name: str, sign_in_method: str, sign_up_allowed: bool
) -> UserFlow:
    name = name.strip()
    if not name or len(name) > 128:
        raise ValidationError({"name": _("Give the user flow a name of 1 to 128 characters.")})
    if sign_in_method not in SignInMethod.values:
        raise ValidationError({"sign_in_method": _("Choose a sign-in method.")})
    if UserFlow.objects.exclude(pk=flow.pk).filter(name__iexact=name).exists():
        raise ValidationError({"name": _("Another user flow has this name.")})
    flow.name, flow.sign_in_method, flow.sign_up_allowed = name, sign_in_method, sign_up_allowed
    flow.save(update_fields=["name", "sign_in_method", "sign_up_allowed"])
    return flow


def userflow_identity_providers_set(
    *,
    flow: UserFlow,
    provider_ids: Iterable[int],
    identities_self_service: bool | None = None,
) -> None:
    """Exactly these identity providers (row IDs of the tenant's `federation` providers; IDs of
    no provider are ignored) are offered by the flow afterwards, beside its email accounts.
    `identities_self_service`, when given, says whether the flow's customers may see and remove
    their linked identities themselves (None leaves it as it is)."""
    model = UserFlow.identity_providers.rel.model
    existing = model._default_manager.filter(pk__in=list(provider_ids)).values_list("pk", flat=True)
    with transaction.atomic():
        flow.identity_providers.set(list(existing))
        if identities_self_service is not None:
            flow.identities_self_service = identities_self_service
            flow.save(update_fields=["identities_self_service"])


def userflow_delete(*, flow: UserFlow) -> None:
    """Delete a flow; its apps are left without one until an admin assigns another."""
    flow.delete()


def flow_attribute_add(
    *, flow: UserFlow, builtin: str = "", custom_attribute: CustomAttribute | None = None
) -> UserFlowAttribute:
    if bool(builtin) == bool(custom_attribute):
        raise ValidationError(_("Choose one attribute."))
    if builtin and builtin not in BUILTIN_ATTRIBUTES:
        raise ValidationError(_("Unknown attribute."))
    position = (
        flow.attributes.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    input_type = input_types_for(custom_attribute.data_type if custom_attribute else None)[0]
    try:
        with transaction.atomic():
            return UserFlowAttribute.objects.create(
                flow=flow,
                builtin=builtin,
                custom_attribute=custom_attribute,
                input_type=input_type,
                position=position,
            )
    except IntegrityError as error:
        raise ValidationError(_("The flow already collects this attribute.")) from error


def flow_attributes_choose(
    *,
    flow: UserFlow,
    builtin: Mapping[str, bool],
    custom: Mapping[CustomAttribute, bool],
) -> None:
    """Make the flow collect exactly Email Address and the given attributes, each mapped to
    whether it is required (the flow's User attributes, as Entra's page sets them).

    Attributes the flow already collects keep their place and look on the page; new ones go
    to the end, built-in first, with their data type's default input type; the others are
    removed. Email Address is always collected and required. All of it or nothing is stored.
    """
    unknown = [key for key in builtin if key not in BUILTIN_ATTRIBUTES]
    if unknown:
        raise ValidationError({"builtin": _("Unknown attribute.")})
    wanted_builtin = {key: required for key, required in builtin.items() if key != "email"}
    wanted_custom = {attribute.pk: (attribute, required) for attribute, required in custom.items()}
    with transaction.atomic():
        # Serialise concurrent choices for this flow on its row.
        UserFlow.objects.select_for_update().filter(pk=flow.pk).first()
        position = 0
        for item in flow.attributes.order_by("position", "pk"):
            position = max(position, item.position + 1)
            if item.builtin == "email":
                required = True
            elif item.builtin:
                if item.builtin not in wanted_builtin:
                    item.delete()
                    continue
                required = wanted_builtin.pop(item.builtin)
            else:
                if item.custom_attribute_id not in wanted_custom:
                    item.delete()
                    continue
                required = wanted_custom.pop(item.custom_attribute_id)[1]
            if item.required != required:
                item.required = required
                item.save(update_fields=["required"])
        for key, required in wanted_builtin.items():
            UserFlowAttribute.objects.create(
                flow=flow,
                builtin=key,
                required=required,
                input_type=input_types_for(None)[0],
                position=position,
            )
            position += 1
        for attribute, required in wanted_custom.values():
            UserFlowAttribute.objects.create(
                flow=flow,
                custom_attribute=attribute,
                required=required,
                input_type=input_types_for(attribute.data_type)[0],
                position=position,
            )
            position += 1


def flow_attribute_remove(*, attribute: UserFlowAttribute) -> None:
    if attribute.builtin == "email":
        raise ValidationError(_("Email Address is always collected."))
    attribute.delete()


def flow_attribute_move(*, attribute: UserFlowAttribute, to: str) -> None:
    """Move an attribute up, down, to the top or to the bottom of its flow's page."""
    ordered = list(attribute.flow.attributes.order_by("position", "pk"))
    index = next(i for i, item in enumerate(ordered) if item.pk == attribute.pk)
    item = ordered.pop(index)
    target = {
        "up": max(0, index - 1),
        "down": min(len(ordered), index + 1),
        "top": 0,
        "bottom": len(ordered),
    }.get(to)
    if target is None:
        raise ValidationError(_("Unknown move."))
    ordered.insert(target, item)
    for position, each in enumerate(ordered):
        if each.position != position:
            UserFlowAttribute.objects.filter(pk=each.pk).update(position=position)


def _clean_options(options: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned: list[dict[str, str]] = []
    values: set[str] = set()
    for option in options:
        text = str(option.get("text", "")).strip()
        value = str(option.get("value", "")).strip()
        if not text or not value:
            raise ValidationError({"options": _("Every option needs a text and a value.")})
        if len(text) > 256 or len(value) > 64 or "," in value:
            raise ValidationError(
                {"options": _("Option values have at most 64 characters and no commas.")}
            )
        if value in values:
            raise ValidationError({"options": _("Option values must differ.")})
        values.add(value)
        cleaned.append({"text": text, "value": value})
    return cleaned


def flow_attribute_update(
    *,
    attribute: UserFlowAttribute,
    label: str,
    required: bool,
    input_type: str,
    options: list[dict[str, str]],
) -> UserFlowAttribute:
    """Set an attribute's label, whether it is required, its input type and its options."""
    if len(label) > 256:
        raise ValidationError({"label": _("A label has at most 256 characters.")})
    if input_type not in attribute.input_types:
        raise ValidationError({"input_type": _("This input type does not fit the data type.")})
    if input_type in INPUT_TYPES_WITH_OPTIONS:
        options = _clean_options(options)
        if not options:
            raise ValidationError({"options": _("Add at least one option.")})
    else:
        options = []
    attribute.label = label.strip()
    attribute.required = required or attribute.builtin == "email"
    attribute.input_type = input_type
    attribute.options = options
    attribute.save(update_fields=["label", "required", "input_type", "options"])
    return attribute


def flow_apps_assign(*, flow: UserFlow, apps: Iterable[AppRegistration]) -> None:
    """Assign apps to the flow; an app moves here from any flow it had (one flow per app)."""
    for app in apps:
        if app.platform == Platform.DAEMON:
            raise ValidationError(_("Daemons sign no user in: they have no user flow."))
    AppRegistration.objects.filter(pk__in=[app.pk for app in apps]).update(user_flow=flow)


def flow_app_remove(*, flow: UserFlow, app: AppRegistration) -> None:
    AppRegistration.objects.filter(pk=app.pk, user_flow=flow).update(user_flow=None)
