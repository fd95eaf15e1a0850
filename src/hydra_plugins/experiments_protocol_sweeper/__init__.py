"""Hydra plugin of `experiments`: the fair-comparison protocol as a sweeper.

Hydra imports every module under ``hydra_plugins`` at start-up to find plugins, so this
package stays light: the protocol's modules are imported when a protocol runs.
"""

from hydra_plugins.experiments_protocol_sweeper.protocol_sweeper import ProtocolSweeper

__all__ = ["ProtocolSweeper"]
