"""Structured outputs: a model's strict response format built once per process, its answer parsed here.

`chat.completions.parse(response_format=SomeModel)` rebuilds the model's strict JSON schema on
every request: 2.3 ms of the agent request's 3.9 ms of preparation in the SDK, measured in one
process with the request itself cut off. Given that format as the dict the SDK's own converter
makes, `parse` sends the same request (a dict is sent as it is) and leaves `message.parsed`
empty; `parsed_output` then reads the content as the SDK would (`model_validate_json`, unless
the model refused), so a mismatch is still a pydantic `ValidationError`.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from pydantic import BaseModel

Output = TypeVar("Output", bound=BaseModel)


@functools.cache
def response_format(model: type[BaseModel]) -> dict[str, Any]:
    """The `response_format` the SDK would send for `model` (`json_schema`, strict). The SDK only reads it."""
    from openai.lib._parsing._completions import type_to_response_format_param  # the SDK's converter, so both agree

    return dict(type_to_response_format_param(model))  # type: ignore[arg-type]


def parsed_output(model: type[Output], message: Any) -> Output | None:
    """The message's content as `model`; None when it is empty or a refusal. Raises `ValidationError`."""
    if message.content and not message.refusal:
        return model.model_validate_json(message.content)
    return None
