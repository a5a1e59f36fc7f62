"""Views of the work_requests feature."""

from portal.blueprints.work_requests import bp  # noqa: F401
