"""Shared pydantic base: camelCase keys as in the stack files, unknown keys rejected."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    """Base of every config model: YAML keys are camelCase, a misspelled key is an error."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        regex_engine="python-re",
    )
