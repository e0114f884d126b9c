"""drf-spectacular hooks for the ops API schema."""


def drop_optional_trailing_slash(endpoints: list[tuple]) -> list[tuple]:
    """Publish routes whose trailing slash is optional (router `trailing_slash="/?"`) under the slash-less URL."""
    return [
        (path.removesuffix("/") if regex.endswith("/?$") else path, regex, method, callback)
        for path, regex, method, callback in endpoints
    ]
