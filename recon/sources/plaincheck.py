"""A plain-type test derived from a pydantic model's fields, to validate many entries quickly.

``model_validate`` on tens of thousands of inventory entries costs about half as much again as
the plain type tests that answer the same for an ordinary entry (a ``str`` where a ``str`` is
declared). :class:`PlainCheck` reads the tests off the model's own field declarations (types,
required fields, ``min_length``, ``ge``), so the model stays the one definition of the fields. It
only ever says "this value is one the model would accept unchanged"; anything else goes to the
model, whose error names the field. A declaration it does not understand is refused when the check
is built, so a new kind of field cannot slip past it unchecked.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from annotated_types import Ge, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.types import Strict

_PLAIN = (str, int, float, bool, dict, list)


class PlainCheck:
    """``check(value)`` is True when *model* accepts the mapping *value* as it is: every key a
    field, every required field present, each value of exactly the declared type (None where the
    field allows it), no shorter than ``min_length`` and no less than ``ge``.

    The items of a ``list[Model]`` field are not looked at: the caller checks them with that
    model's own PlainCheck. Mapping keys are not looked at either: recon's readers make every key
    text. Field validators must leave a value of the declared type unchanged (ResourceModel's
    only turns numbers into names); tests/test_inventory_and_store.py holds the check to the model.
    """

    __slots__ = ("allowed", "required", "fields")

    def __init__(self, model: type[BaseModel]) -> None:
        if model.__pydantic_decorators__.model_validators:
            raise TypeError(f"{model.__name__}: a model validator cannot be checked by plain type tests")
        self.allowed = frozenset(model.model_fields)
        self.required = frozenset(n for n, f in model.model_fields.items() if f.is_required())
        self.fields = tuple((n, *_rule(model.__name__, n, f)) for n, f in model.model_fields.items())

    def __call__(self, value: Any) -> bool:
        if type(value) is not dict or not self.allowed.issuperset(value) or not self.required.issubset(value):
            return False
        for name, typ, nullable, min_len, ge in self.fields:
            if name not in value:
                continue  # optional: its default applies
            v = value[name]
            if v is None:
                if nullable:
                    continue
                return False
            # type(...) is, not isinstance: a bool is an int, and pydantic would refuse it or convert it.
            if type(v) is not typ or (min_len and len(v) < min_len) or (ge is not None and v < ge):
                return False
        return True


def _rule(model: str, name: str, field: FieldInfo) -> tuple[type, bool, int, Any]:
    """(plain type, None allowed, min_length or 0, ge or None) of one field."""
    annotation, nullable = field.annotation, False
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(rest) < len(get_args(annotation))
        if len(rest) != 1:
            raise TypeError(f"{model}.{name}: a union of types cannot be checked by plain type tests")
        annotation = rest[0]
    base = get_origin(annotation) or annotation
    if base not in _PLAIN:
        raise TypeError(f"{model}.{name}: {annotation!r} cannot be checked by plain type tests")
    min_len, ge = 0, None
    for m in field.metadata:
        if isinstance(m, MinLen):
            min_len = m.min_length
        elif isinstance(m, Ge):
            ge = m.ge
        elif not isinstance(m, Strict):  # strictness only narrows what pydantic accepts to the exact type
            raise TypeError(f"{model}.{name}: constraint {m!r} cannot be checked by plain type tests")
    return base, nullable, min_len, ge
