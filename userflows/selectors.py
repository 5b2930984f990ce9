"""Reads about user flows."""

from accounts.attributes import (
    BUILTIN_ATTRIBUTES,
    INPUT_TYPES_WITH_OPTIONS,
    AttributeChoices,
    InputType,
)
from accounts.models import CustomAttribute
from userflows.models import UserFlow, UserFlowAttribute


def flow_attributes(flow: UserFlow) -> list[UserFlowAttribute]:
    """The attributes the flow collects, in page order, with their custom definitions."""
    return list(flow.attributes.select_related("custom_attribute").order_by("position", "pk"))


def attribute_label(item: UserFlowAttribute) -> str:
    """What the flow's page calls the attribute: the flow's own label, else the built-in
    attribute's label or the custom attribute's name."""
    if item.label:
        return item.label
    if item.builtin:
        return str(BUILTIN_ATTRIBUTES[item.builtin].label)
    return item.custom_attribute.name if item.custom_attribute else ""


def userflow_list() -> list[UserFlow]:
    return list(UserFlow.objects.prefetch_related("apps").order_by("name"))


def custom_attribute_choices() -> dict[str, AttributeChoices]:
    """For each custom String attribute that user flows collect only by picking options, the
    union of those options (first text wins), and whether several may be picked (when any flow
    uses CheckboxMultiSelect). An attribute some flow collects as free text is not in the
    result: any text is a valid value for it."""
    found: dict[str, tuple[bool, dict[str, str]]] = {}
    items = (
        UserFlowAttribute.objects.filter(custom_attribute__isnull=False)
        .select_related("custom_attribute")
        .order_by("flow__name", "position", "pk")
    )
    text_box: set[str] = set()
    for item in items:
        attribute: CustomAttribute | None = item.custom_attribute
        if attribute is None:
            continue
        if item.input_type not in INPUT_TYPES_WITH_OPTIONS:
            text_box.add(attribute.name)
            continue
        multiple, options = found.get(attribute.name, (False, {}))
        multiple = multiple or item.input_type == InputType.CHECKBOX_MULTI_SELECT
        for option in item.options:
            options.setdefault(str(option.get("value", "")), str(option.get("text", "")))
        found[attribute.name] = (multiple, options)
    return {
        name: AttributeChoices(multiple=multiple, options=list(options.items()))
        for name, (multiple, options) in found.items()
        if name not in text_box and options
    }
