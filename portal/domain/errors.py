"""Errors in the domain's own words; views turn them into messages on the page."""


class DomainError(Exception):
    """A business rule said no; the message is shown to the person as it is."""


class NotFound(DomainError):
    """The thing asked for does not exist."""


class NotAllowed(DomainError):
    """The person may not do this (role, separation of duties, state)."""


class InvalidTransition(DomainError):
    """A status move the rules do not allow."""
