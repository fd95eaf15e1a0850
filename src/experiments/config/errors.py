"""Exceptions that entry points turn into a run's status: bad user input, a pruned trial."""


class ConfigError(ValueError):
    """Bad input from the user, reported as one message before any training starts.

    The message names the offending key or file and what was expected; entry points print
    it without a traceback and exit non-zero.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class RunPruned(Exception):
    """A search trial stopped early because it cannot beat the trials before it.

    The run is recorded as ``pruned``, not ``failed``: it did what the search asked of it.
    """


def is_out_of_memory(error: BaseException) -> bool:
    """True for an allocation that the host or the GPU refused (torch reports a refused CPU
    allocation as a RuntimeError that says so)."""
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":
        return True
    text = str(error)
    return "can't allocate memory" in text or "out of memory" in text.lower()
