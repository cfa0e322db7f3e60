"""The stack config: where each key lives, pydantic models, cross-key rules, and the loader that checks them all."""

from config.loader import EngineConfig, LoadedConfig, load_stack_config, parse_stack_config
from config.problems import ConfigError, Problem
from config.sources import ConfigFiles, ConfigSourceError, read_config_files
from config.stack import StackConfig

__all__ = [
    "ConfigError",
    "ConfigFiles",
    "ConfigSourceError",
    "EngineConfig",
    "LoadedConfig",
    "Problem",
    "StackConfig",
    "load_stack_config",
    "parse_stack_config",
    "read_config_files",
]
