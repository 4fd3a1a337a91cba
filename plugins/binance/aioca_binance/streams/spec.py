"""What the generated stream catalogs are made of: the payload base model and a table row."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import SchemaValidator, core_schema

__all__ = ["StreamModel", "StreamSpec"]


class StreamModel(BaseModel):
    """A stream payload: snake_case attributes, the wire names as aliases (``model_dump(
    by_alias=True)`` gives Binance's JSON back), and every field Binance adds that the
    model does not know kept in ``model_extra``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class StreamSpec:
    """One market stream: its name ``pattern`` as Binance documents it, the ``regex`` a
    topic must match, the payload ``model`` (a list of them when ``is_array``), the
    connection ``group`` (USDⓈ-M routes ``public`` and ``market`` streams to different
    paths) and the documented ``update_speed``."""

    __slots__ = ("__dict__", "group", "is_array", "model", "pattern", "regex", "update_speed")

    def __init__(
        self,
        pattern: str,
        regex: str,
        model: type[StreamModel],
        is_array: bool,
        group: str,
        update_speed: str,
    ) -> None:
        self.pattern = pattern
        self.regex = regex
        self.model = model
        self.is_array = is_array
        self.group = group
        self.update_speed = update_speed

    @cached_property
    def matcher(self) -> re.Pattern[str]:
        return re.compile(self.regex)

    def parse(self, data: Any) -> Any:
        """The typed payload: a model, or a list of models for an array stream."""
        model = self.model
        if self.is_array:
            return [model.model_validate(item) for item in data]
        return model.model_validate(data)

    @cached_property
    def envelope_validator(self) -> SchemaValidator:
        """Validates a combined frame of this stream (``{"stream": ..., "data": ...}``)
        straight from its JSON text into the model (a list of them when ``is_array``):
        pydantic-core parses and validates in one pass, by the model's own validator,
        without the Python dict that ``parse`` starts from. ``validate_json(text)`` gives
        a dict with ``"stream"`` and ``"data"``.

        It reads what ``parse`` reads, to the same values, except for input Binance does
        not send: a ``Decimal`` sent as a JSON *number* is written as pydantic-core's JSON
        parser gives it, ``100.0`` as ``Decimal("100")`` where ``parse`` of the decoded
        JSON gives ``Decimal("100.0")`` (equal, same hash); ``NaN`` or ``Infinity`` in an
        unknown field, which ``orjson`` refuses, is read; an integer beyond 64 bits is
        read exactly, where ``orjson`` gives a float."""
        payload = self.model.__pydantic_core_schema__
        if self.is_array:
            payload = core_schema.list_schema(payload)
        envelope = core_schema.typed_dict_schema(
            {
                "stream": core_schema.typed_dict_field(core_schema.str_schema()),
                "data": core_schema.typed_dict_field(payload),
            }
        )
        return SchemaValidator(envelope)

    @cached_property
    def envelope_decoder(self) -> Any:
        """Decodes a combined frame of this stream into structs (``typed="struct"``)."""
        from .structs import envelope_decoder

        return envelope_decoder(self.model, self.is_array)

    def parse_structs(self, data: Any) -> Any:
        """The payload (decoded JSON) as structs, read by the model (``typed="struct"``,
        for a payload msgspec refuses: a blank number, ``""``, is ``None`` here, as in the
        model); raises ``pydantic.ValidationError`` when the model refuses it too."""
        from .structs import from_models

        return from_models(self.parse(data), self.model, self.is_array)

    @cached_property
    def payload_decoder(self) -> Any:
        """Decodes this stream's bare payload into structs (``typed="struct"``)."""
        from .structs import payload_decoder

        return payload_decoder(self.model, self.is_array)

    def __repr__(self) -> str:
        return f"<StreamSpec {self.pattern} -> {self.model.__name__}>"
