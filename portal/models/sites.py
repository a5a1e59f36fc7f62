"""Sites and the locations inside them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import RequestIntake
from portal.models.base import Base, IdMixin, StrEnumType


class Site(IdMixin, Base):
    """A plant, a building complex: the top of the location tree."""

    __tablename__ = "site"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(240))
    request_intake: Mapped[RequestIntake] = mapped_column(
        StrEnumType(RequestIntake), default=RequestIntake.triage
    )
    locations: Mapped[list[Location]] = relationship(back_populates="site")


class Location(IdMixin, Base):
    """Where work happens: a building, an area or a unit inside a site."""

    __tablename__ = "location"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # building, area, unit

    site: Mapped[Site] = relationship(back_populates="locations")
    # Paths are shown everywhere (site > building > area): load up to three ancestors in the
    # same query as the location, never one query per level.
    parent: Mapped[Location | None] = relationship(
        remote_side="Location.id", lazy="joined", join_depth=3
    )

    @property
    def path(self) -> str:
        """Site > building > area, for people."""
        names: list[str] = []
        node: Location | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " › ".join([self.site.name, *reversed(names)])
