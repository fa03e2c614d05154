"""Shared schema pieces: the problem document, constrained types, the run reference every response carries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

RUN_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
VERSION_PATTERN = r"^[0-9a-f]{1,64}$"
JOB_ID_PATTERN = r"^[0-9a-f]{1,64}$"
INT_LIST_PATTERN = r"^[0-9]{1,9}(,[0-9]{1,9}){0,1023}$"
# one way only to match each number (an optional "." between two digit runs made "1111x" split every way:
# exponential backtracking over a 512-number list, a ~100-character query held the event loop for minutes)
NUMBER = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?"
FLOAT_LIST_PATTERN = rf"^{NUMBER}(,{NUMBER}){{0,511}}$"



@dataclass(frozen=True)
class Matching(GroupedMetadata):
    """``Annotated[str, Matching(pattern, expected)]``: a string documented with ``pattern`` whose error says
    ``expected`` in words (not the regex). A metadata object, not a function returning a type, so that
    type checkers see the alias as ``str``."""

    pattern: str
    expected: str

    def check(self, value: str) -> str:
        if not re.fullmatch(self.pattern, value):
            raise ValueError(f"expected {self.expected}, got {value[:60]!r}")
        return value

    def __iter__(self) -> Iterator[object]:
        """The metadata pydantic applies in its place: the check, then the pattern for the JSON schema."""
        yield AfterValidator(self.check)
        yield Field(json_schema_extra={"pattern": self.pattern})


class RequestModel(BaseModel):
    """A query or body model that refuses fields it does not know: a typo (``?dim=3``) is a 422 naming it,
    never a silent default."""

    model_config = ConfigDict(extra="forbid")


# a JSON number (strict: "1" or true is refused, not read as 1.0), never NaN or infinite
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="random seed: the same seed gives the same result")]
VersionStr = Annotated[str, Matching(VERSION_PATTERN, "a run version (hex digits)")]
RunIdStr = Annotated[str, Matching(RUN_ID_PATTERN, "a run id (1 to 100 lowercase letters, digits, '-' or '_', not "
                                                   "starting with '-' or '_')")]
JobIdStr = Annotated[str, Matching(JOB_ID_PATTERN, "a job id (hex digits)")]
Version = Annotated[VersionStr | None, Field(description="the run version this link was made for; another current "
                                             "version answers 409")]


class ProblemField(BaseModel):
    loc: list[str] = Field(description="where the bad value is, e.g. ['query', 'steps']")
    msg: str = Field(description="what was expected")
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details (media type application/problem+json)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI naming the kind of problem ('about:blank' for plain HTTP errors)")
    title: str = Field(description="the HTTP status phrase")
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="what went wrong and what was expected")
    instance: str = Field(description="the request path")
    errors: list[ProblemField] | None = Field(None, description="the fields at fault (validation problems)")
    limit: str | None = Field(None, description="the setting that limits the request (limit problems)")
    maximum: int | None = Field(None, description="that setting's value")
    current_version: str | None = Field(None, description="the run's current version (version mismatches)")
    retry_after: int | None = Field(None, description="seconds to wait (503)")


class RunRef(BaseModel):
    """Every response about a run names it and the version of the weights it was computed from."""

    run_id: str
    version: str
