"""The fast typed view of stream payloads: msgspec Structs derived from the catalog's models.

``market_stream(..., typed="struct")`` delivers, instead of the pydantic models, msgspec
``Struct`` s built from them at first use: the same class names, the same snake_case
attributes, the same types (``Decimal`` prices and quantities, ``int`` ids and times,
nested payloads as nested structs), decoded by msgspec straight from the frame's text.
That costs well under half of what validating a pydantic model does, even from the same
text (msgspec validates and converts in C while it parses, into objects the garbage
collector does not track; a model is an instance with a ``__dict__`` and a set of the
fields given), which is what lets a typed consumer keep up with a raw WebSocket.

What the view leaves out: fields the model does not know are dropped (the pydantic models
keep them in ``model_extra``; the first frame of each stream is checked for such fields,
and a warning names them, see :func:`unknown_fields`), and there is no ``model_dump``;
``struct.to_model()`` gives the catalog's pydantic model with everything it offers.
Conversions follow pydantic's
lax mode (``"12"`` or ``12.0`` to ``12`` for an ``int``, a number or a string to
``Decimal``, ``"true"`` or ``1`` to ``True``; every documented example payload reads to the
same values of the same types, which the tests check), and a payload msgspec refuses is
read again by the model and converted to the structs (:func:`from_models`), so the
structs read what the models read. That is how a number Binance leaves blank (``""``: the
funding rate of a delivery contract) is ``None`` here too: msgspec has no way to read
``""`` as ``None`` in a ``Decimal`` field (a union of ``Decimal`` with ``Literal[""]`` or
``str`` is refused), and a hook on every decimal would cost every payload what only those
with a blank need; such a payload costs what the model does. The same goes for what
msgspec refuses and pydantic's lax mode takes (``true`` for an ``int``, ``"yes"`` for a
``bool``). One edge Binance does not send remains: msgspec takes ``"NaN"`` and
``"Infinity"`` as ``Decimal`` (pydantic refuses them). A payload the model cannot read
either is delivered as JSON with a warning, as with the models.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel

try:
    import msgspec
except ImportError:
    raise ImportError("typed='struct' needs msgspec: pip install 'aioca-binance[fast]'") from None

__all__ = [
    "StreamStruct",
    "envelope_decoder",
    "from_models",
    "payload_decoder",
    "struct_of",
    "unknown_fields",
]

_structs: dict[type[BaseModel], type[StreamStruct]] = {}


class StreamStruct(msgspec.Struct, kw_only=True, gc=False):
    """Base of the structs: ``to_model()`` gives the catalog's pydantic model of the same
    payload. ``gc=False``: payloads hold numbers, strings and other structs, never cycles,
    so the garbage collector need not track the thousands that may wait in a buffer."""

    __model__: typing.ClassVar[type[BaseModel]]

    def to_model(self) -> Any:
        """The pydantic model of this payload (``model_dump``, validation, ...)."""
        return self.__model__.model_validate(msgspec.to_builtins(self))


def _convert(annotation: Any) -> Any:
    """``annotation`` with every pydantic model in it replaced by its struct."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return struct_of(annotation)
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    arguments = tuple(_convert(argument) for argument in typing.get_args(annotation))
    if origin is types.UnionType or origin is Union:
        return Union[arguments]  # noqa: UP007 (built from a tuple)
    if origin is list:
        return list[arguments]  # type: ignore[valid-type]
    raise TypeError(f"no struct for the annotation {annotation!r}")


def struct_of(model: type[BaseModel]) -> type[StreamStruct]:
    """The struct of ``model`` (built once): its fields, under their wire names."""
    found = _structs.get(model)
    if found is not None:
        return found
    fields: list[tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for name, field in model.model_fields.items():
        fields.append((name, _convert(field.annotation), field.default))
        rename[name] = field.alias or name
    struct: type[StreamStruct] = msgspec.defstruct(  # type: ignore[assignment]
        model.__name__,
        fields,
        bases=(StreamStruct,),
        module=model.__module__,
        rename=rename,
        kw_only=True,
    )
    struct.__model__ = model
    struct.__doc__ = model.__doc__
    _structs[model] = struct
    return struct


def envelope_decoder(model: type[BaseModel], is_array: bool) -> msgspec.json.Decoder[Any]:
    """A decoder of a combined stream's frame (``{"stream": ..., "data": ...}``) whose
    ``data`` is ``model`` (a list of them when ``is_array``)."""
    payload: Any = list[struct_of(model)] if is_array else struct_of(model)  # type: ignore[misc]
    envelope = msgspec.defstruct("Envelope", [("stream", str), ("data", payload)], gc=False)
    return msgspec.json.Decoder(envelope, strict=False)


def payload_decoder(model: type[BaseModel], is_array: bool) -> msgspec.json.Decoder[Any]:
    """A decoder of a bare payload (``model``, or a list of them when ``is_array``)."""
    payload: Any = list[struct_of(model)] if is_array else struct_of(model)  # type: ignore[misc]
    return msgspec.json.Decoder(payload, strict=False)


def from_models(models: Any, model: type[BaseModel], is_array: bool) -> Any:
    """``models`` (a payload as ``model`` reads it, a list of them when ``is_array``) as
    structs, field for field: the values are already of the structs' types (the structs'
    types are the models'), read by attribute, nested models included."""
    payload: Any = list[struct_of(model)] if is_array else struct_of(model)  # type: ignore[misc]
    return msgspec.convert(models, payload, from_attributes=True)


def unknown_fields(model: type[BaseModel], data: Any, is_array: bool) -> list[str]:
    """The wire names in ``data`` (a decoded payload of ``model``, a list of them when
    ``is_array``) that ``model`` does not know, nested ones as dotted paths
    (``"k.x2"``), sorted: what a struct of ``model`` would drop without a word. Binance
    adds fields to payloads from time to time; the models keep them, the structs cannot
    (msgspec has no place for extras), so the protocol checks a stream's first frame
    with this and warns once."""
    found: set[str] = set()
    for item in data if is_array and type(data) is list else [data]:
        _collect_unknown(model, item, "", found)
    return sorted(found)


def _collect_unknown(model: type[BaseModel], data: Any, path: str, found: set[str]) -> None:
    if type(data) is not dict:
        return
    known: dict[str, Any] = {
        field.alias or name: field.annotation for name, field in model.model_fields.items()
    }
    for key, value in data.items():
        if key not in known:
            found.add(path + key)
            continue
        for nested in _models_in(known[key]):
            items = value if type(value) is list else [value]
            for item in items:
                _collect_unknown(nested, item, f"{path}{key}.", found)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``Model``, ``list[Model]``, ``Model |
    None``...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in typing.get_args(annotation) for model in _models_in(argument)]
