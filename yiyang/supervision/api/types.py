"""Shared parameter types of the supervision API."""

from typing import Annotated

from pydantic import Field

# Row ids as the database can hold them: a larger number is refused as invalid input (422) before a
# lookup that the database driver could not even express.
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]
