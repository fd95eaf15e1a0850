"""The config registry (a package so that Hydra finds it installed or editable)."""
