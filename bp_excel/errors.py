class UsageError(Exception):
    """Bad input or a missing tool: reported as one line on stderr with exit status 2."""
