"""Config-driven experiments: SVM-style baselines against deep nets, with Hydra and Lightning."""

__version__ = "0.1.0"
__all__ = ["__version__"]
