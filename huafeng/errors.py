"""Exception types that carry a user-facing message.

The CLI maps :class:`InputError` to exit code 2 and the service to HTTP 4xx; anything else is an
internal fault (exit 1 / HTTP 500). Keeping the split in one place is what lets every front end
promise "one readable line, never a traceback" for mistakes the user can fix.
"""

from __future__ import annotations


class HuafengError(Exception):
    """Base class: the message is written for the user, in one line."""


class InputError(HuafengError):
    """The user's input is wrong (bad file, unknown name, out-of-range option): fixable by them."""


class OutputExistsError(InputError):
    """Refusing to overwrite a file that already exists (pass ``--overwrite``)."""


class ImageTooLargeError(InputError):
    """The image exceeds the configured pixel limit (decompression-bomb guard)."""


class UnknownNameError(InputError, KeyError):
    """A registry lookup failed; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""
