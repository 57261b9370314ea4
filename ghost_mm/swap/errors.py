"""How the swap tool refuses: :class:`SwapError`, and :func:`first_line` to
quote an exception in one line."""


class SwapError(ValueError):
    """The config cannot be given a GhostNet backbone without breaking it."""


def first_line(error):
    """An exception's message, its first line (300 characters at most)."""
    text = str(error).strip().splitlines()
    return text[0][:300] if text else '(no message)'
