"""Configuration: composing the root config, checking it before anything runs, the errors
bad input raises, did-you-mean suggestions, job folder names and the OmegaConf resolvers
the configs use (registered on import). Imports nothing else of the package;
everything else may import it."""

from experiments.config.compose import CONF_DIR, compose_config, config_options
from experiments.config.errors import ConfigError, RunPruned
from experiments.config.instantiate import instantiate_checked
from experiments.config.resolvers import register_resolvers

register_resolvers()

__all__ = [
    "CONF_DIR",
    "ConfigError",
    "RunPruned",
    "compose_config",
    "config_options",
    "instantiate_checked",
]
