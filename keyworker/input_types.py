"""Type checks at the service boundary, driven by the annotations already written on the input
dataclasses and the service methods. A value of the wrong type (a number for a name, None for
a list, a list inside a list) is answered with a ValidationError naming the field as a person
knows it, instead of an AttributeError deep inside the service.

`check_types(value, annotation, label)` checks one value; `@typed_inputs` on a service method
checks every argument against the method's annotations before the method runs. Content (is this
a known substance, is the date in range) stays with each service's own validation."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar, Union

from keyworker.errors import ValidationError
from keyworker.security.permissions import Permission

P = ParamSpec("P")
R = TypeVar("R")

# How fields and arguments are named on the forms, where the plain field name would not do.
LABELS: dict[str, str] = {
    "nhs_number": "NHS number",
    "gp_practice": "GP practice",
    "referrer_email": "Referrer's email",
    "referrer_phone": "Referrer's phone",
    "referrer_organisation": "Referrer's organisation",
    "referrer_address": "Referrer's postal address",
    "referrer_reference": "Referrer's reference",
    "received_at": "Date and time received",
    "category": "Admission category",
    "assessment_summary": "Summary of the assessment",
    "admitted_on": "Admission date",
    "planned_weeks": "Planned length in weeks",
    "key_worker_id": "Key worker",
    "next_of_kin_name": "Next of kin",
    "next_of_kin_phone": "Next of kin's phone",
    "next_of_kin_address": "Next of kin's address",
    "name": "Name",
    "effective_on": "Date",
    "stopped_on": "Date stopped",
    "recorded_on": "Date recorded",
    "given": "Consent given",
    "kind": "Kind",
    "held_on": "Review date",
    "next_review_on": "Next review date",
    "resident_view": "The resident's view",
    "goal_progress": "Goal progress",
    "agreed_on": "Date of agreement",
    "meeting_on": "Meeting date",
    "by_when": "By when",
    "reference": "Reference",
    "data": "The form",
    "changes": "The changes",
    "content": "The plan",
    "plan_changes": "The plan changes",
}
_NOUNS: dict[type, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "yes or no",
    date: "a date",
    datetime: "a date and time",
}


def label_of(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    words = name.removesuffix("_id").replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) or "This value"


def _noun(annotation: Any) -> str:
    if annotation in _NOUNS:
        return _NOUNS[annotation]
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return "a " + label_of(_snake(annotation.__name__)).lower()
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, Sequence):
        return "a list"
    if origin in (dict, Mapping) or annotation in (dict, Mapping):
        return "a table of values"
    if origin in (Union, types.UnionType):
        nouns = [_noun(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(nouns))
    return "a value of the right kind"


def _missing(annotation: Any) -> str:
    """None where a value is needed: 'required' for a single value, the kind for a list or form."""
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (Union, types.UnionType) \
        else (annotation,)
    if all(o in _NOUNS for o in options):
        return "is required"
    return f"must be {_noun(annotation)}"


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def storable(text: str) -> bool:
    """SQLite stores UTF-8: no NUL, no unpaired surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(value: Any, annotation: Any) -> str | None:
    """What is wrong with `value` for `annotation`, in words after the field's label, or None."""
    if annotation is Any or annotation is object:
        return None
    if annotation is None or annotation is type(None):
        return None if value is None else "must be left empty"
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None:
            return None if type(None) in options else _missing(annotation)
        found: list[str] = []
        for option in options:
            if option is type(None):
                continue
            why = problem(value, option)
            if why is None:
                return None
            found.append(why)
        # A value of the right kind with bad content says what is wrong inside it.
        inner = [w for w in found if not w.startswith("must be ")]
        return inner[0] if inner else f"must be {_noun(annotation)}"
    if value is None:
        return _missing(annotation)
    if annotation is str:
        if not isinstance(value, str):
            return "must be text"
        return None if storable(value) else "contains a character that cannot be stored"
    if annotation is bool:
        return None if isinstance(value, bool) else "must be yes or no"
    if annotation is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if annotation is datetime:
        return None if isinstance(value, datetime) else "must be a date and time"
    if annotation is date:
        # A datetime is a date to Python, but not to a comparison with one.
        return None if isinstance(value, date) and not isinstance(value, datetime) else "must be a date"
    if origin is typing.Literal:
        return None if value in typing.get_args(annotation) else "is not one of the choices"
    if origin in (list, tuple, Sequence) or annotation in (list, tuple):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            return f"must be {_noun(annotation)}"
        args = typing.get_args(annotation)
        item = args[0] if args else Any
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            item = Any  # fixed-length tuples are not used as inputs
        for entry in value:
            why = problem(entry, item)
            if why is not None:
                return f"each entry {why}" if _is_predicate(why) else why
        return None
    if origin in (dict, Mapping) or annotation in (dict, Mapping):
        if not isinstance(value, Mapping):
            return "must be a table of values"
        args = typing.get_args(annotation)
        key_type, value_type = args if len(args) == 2 else (Any, Any)
        for k, v in value.items():
            why = problem(k, key_type) or problem(v, value_type)
            if why is not None:
                return f"each entry {why}" if _is_predicate(why) else why
        return None
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if not isinstance(value, annotation):
            return f"must be {_noun(annotation)}"
        problems = _field_problems(value)
        return "; ".join(_phrase(label_of(k).lower(), why) for k, why in problems.items()) or None
    if isinstance(annotation, type):
        return None if isinstance(value, annotation) else f"must be {_noun(annotation)}"
    return None


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _is_predicate(why: str) -> bool:
    return why.startswith(("must", "is ", "contains"))


def _phrase(label: str, why: str) -> str:
    return f"{label} {why}" if _is_predicate(why) else f"{label}: {why}"


def _sentence(label: str, why: str) -> str:
    return _phrase(label, why) + "."


def _field_problems(instance: Any) -> dict[str, str]:
    hints = _hints(type(instance))
    out: dict[str, str] = {}
    for f in dataclasses.fields(instance):
        why = problem(getattr(instance, f.name), hints.get(f.name, Any))
        if why is not None:
            out[f.name] = why
    return out


def dataclass_errors(instance: Any) -> dict[str, str]:
    """{field: message} for each field of a dataclass instance whose value has the wrong type."""
    return {k: _sentence(label_of(k), why) for k, why in _field_problems(instance).items()}


def check_types(value: Any, annotation: Any, field: str = "") -> dict[str, str]:
    """{field: message} if `value` is not of `annotation` (a type, union, list[...], dataclass).
    A dataclass argument is answered field by field, keyed by its own field names."""
    union = typing.get_origin(annotation) in (Union, types.UnionType)
    for option in typing.get_args(annotation) if union else (annotation,):
        if dataclasses.is_dataclass(option) and isinstance(option, type) and isinstance(value, option):
            return dataclass_errors(value)
    why = problem(value, annotation)
    if why is None:
        return {}
    return {field: _sentence(label_of(field) if field else "The input", why)}


def form_fields(data: Any) -> Mapping[str, Any]:
    """A form's fields by name, from its input dataclass or a mapping. Anything else, or a field
    of the wrong type, is a ValidationError naming the field (content is the form's to check)."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        errors = dataclass_errors(data)
        if errors:
            raise ValidationError(errors)
        return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    if not isinstance(data, Mapping):
        raise ValidationError({"": "The form's details are missing or not a set of fields."})
    if not all(isinstance(k, str) for k in data):
        raise ValidationError({"": "The form's field names must be text."})
    return data


def _parameter_types(func: Callable[..., Any]) -> dict[str, Any]:
    """The evaluable annotations of `func`'s parameters (names imported only for type checking,
    such as the Casebook, are skipped: they are never given by a caller)."""
    out: dict[str, Any] = {}
    for name, ann in inspect.get_annotations(func).items():
        if name == "return":
            continue
        try:
            out[name] = eval(ann, func.__globals__) if isinstance(ann, str) else ann  # noqa: S307
        except NameError:
            continue
    return out


def typed_inputs(func: Callable[P, R] | None = None, *, requires: Permission | None = None) -> Any:
    """Check each argument against the method's annotations before it runs. With `requires`, the
    caller's permission is checked first, so someone not allowed is told so whatever they passed
    (`@typed_inputs(requires=Permission.X)` on a service method; the service is `args[0]`)."""
    if func is None:
        return lambda f: typed_inputs(f, requires=requires)
    signature = inspect.signature(func)
    types_of: dict[str, Any] | None = None

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        nonlocal types_of
        if requires is not None:
            args[0]._book.require(requires)  # type: ignore[attr-defined]
        if types_of is None:
            types_of = _parameter_types(func)  # at first call: the module is fully loaded by then
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            raise ValidationError({"": f"The request is incomplete or has extra values ({e})."}) from None
        errors: dict[str, str] = {}
        for name, value in bound.arguments.items():
            if name in types_of:
                errors.update(check_types(value, types_of[name], name))
        if errors:
            raise ValidationError(errors)
        return func(*args, **kwargs)

    return wrapper
