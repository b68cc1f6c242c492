"""Exceptions whose message is meant for the user, as is, without a traceback."""


class UserError(Exception):
    """Bad input or a missing resource. The CLI prints it and exits with code 2; the UI shows it."""


class ConfigError(UserError, ValueError):
    """A setting is unknown or out of range."""


class DataError(UserError):
    """A data set cannot be found, read or made."""


class CheckpointError(UserError):
    """A checkpoint folder is missing, incomplete, corrupt or unsafe."""


def brief(value: object, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, for a message that quotes what it refuses: a
    10,000-character path or a 4,400-digit number would bury the message (and an int that long
    cannot even be turned into text)."""
    try:
        text = repr(value)
    except ValueError:  # int -> str is refused past sys.get_int_max_str_digits()
        return "a number of thousands of digits"
    return text if len(text) <= limit else text[:limit] + "…"
