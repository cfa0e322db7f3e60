"""The stack config: pydantic models, cross-key rules, and the loader that checks them all."""

from config.loader import LoadedConfig, decode_values, load_stack_config, parse_stack_config
from config.problems import ConfigError, Problem
from config.stack import StackConfig

__all__ = [
    "ConfigError",
    "LoadedConfig",
    "Problem",
    "StackConfig",
    "decode_values",
    "load_stack_config",
    "parse_stack_config",
]
