"""Exceptions whose message is meant for the user, as is, without a traceback."""


class UserError(Exception):
    """Bad input or a missing resource. The CLI prints it and exits with code 2; the UI shows it."""


class ConfigError(UserError, ValueError):
    """A setting is unknown or out of range."""


class DataError(UserError):
    """A data set cannot be found, read or made."""


class CheckpointError(UserError):
    """A checkpoint folder is missing, incomplete, corrupt or unsafe."""
