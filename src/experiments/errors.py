"""The one exception type for bad user input (config, data, command line)."""


class ConfigError(ValueError):
    """Bad input from the user, reported as one message before any training starts.

    The message names the offending key or file and what was expected; entry points print
    it without a traceback and exit non-zero.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
