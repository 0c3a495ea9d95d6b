"""Errors the CLI reports as one clear line and a non-zero exit."""


class VarnodeError(Exception):
    """A problem with the user's input: the message names the file, row or field."""
