"""The W3C Reconciliation Service API 0.2 as pydantic models, written from the specification's text.

Source: https://reconciliation-api.github.io/specs/0.2/ (sections "Service Manifest", "Reconciliation
Queries", "Preview Service", "Suggest Services", "Data Extension Service", "Authentication") and its JSON
schemas. The service reads queries through these models, and the tests check every answer against them.

Where a field is optional the key may be left out but is never ``null`` (the schemas want an object, a
string...): such fields are declared with their real type and a default of None. Pydantic does not validate
the default, so a missing key passes, while an explicit ``null`` is refused, as the schemas refuse it.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

Number = StrictInt | StrictFloat
NonEmpty = Annotated[StrictStr, Field(min_length=1)]
ID_TEMPLATE = r".*\{\{id\}\}.*"  # a view or preview template holds {{id}}


class Open(BaseModel):
    """An object of the spec whose schema allows further keys."""

    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    """An object whose schema says ``additionalProperties: false``."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- core concepts


class Type(Open):
    """A type: id and name, non-empty; optional description and broader types."""

    id: NonEmpty
    name: NonEmpty
    description: StrictStr = None
    broader: list[Type] = None


class TypeRef(Open):
    """A type in a candidate or suggestion: only the id is required."""

    id: StrictStr
    name: StrictStr = None


class Property(Open):
    """A property: id and name, non-empty (suggest and property-proposal answers)."""

    id: NonEmpty
    name: NonEmpty
    description: StrictStr = None


# ---------------------------------------------------------------- manifest


class ApiKeyScheme(Closed):
    """An OpenAPI (Swagger 2.0) security scheme: an API key in a header or the query string."""

    type: Literal["apiKey"]
    name: NonEmpty
    in_: Literal["header", "query"] = Field(alias="in")
    description: StrictStr = None


class BasicScheme(Closed):
    type: Literal["basic"]
    description: StrictStr = None


class Template(Open):
    """``{"url": "...{{id}}..."}``: the view template of entities (or of matching features)."""

    url: Annotated[StrictStr, Field(pattern=ID_TEMPLATE)]


class SuggestService(Open):
    """Where a suggest service is: ``service_url`` + ``service_path`` (and an optional flyout service)."""

    service_url: StrictStr = None
    service_path: StrictStr = None
    flyout_service_url: StrictStr = None
    flyout_service_path: Annotated[StrictStr, Field(pattern=r".*\$\{id\}.*")] = None


class SuggestMetadata(Open):
    entity: SuggestService = None
    property: SuggestService = None
    type: SuggestService = None


class PreviewMetadata(Open):
    """All three fields are mandatory: the preview URL template and the iframe's size in pixels."""

    url: Annotated[StrictStr, Field(pattern=ID_TEMPLATE)]
    width: StrictInt
    height: StrictInt


class ServicePath(Open):
    service_url: StrictStr = None
    service_path: StrictStr = None


class PropertySetting(Open):
    """A setting the user may give when fetching a property (number, text, checkbox or select)."""

    type: Literal["number", "text", "checkbox", "select"]
    label: StrictStr
    name: StrictStr
    default: Number | StrictStr | StrictBool = None
    help_text: StrictStr = None
    choices: list[dict[str, StrictStr]] = None

    @model_validator(mode="after")
    def _select_has_choices(self) -> PropertySetting:
        if self.type == "select" and self.choices is None:
            raise ValueError("a select setting needs choices")
        return self


class ExtendMetadata(Open):
    propose_properties: ServicePath = None
    property_settings: list[PropertySetting] = None


class Manifest(Open):
    """The service manifest: what ``GET`` on the endpoint without parameters answers."""

    versions: list[StrictStr]
    name: StrictStr
    identifierSpace: StrictStr  # noqa: N815 (the spec's field names)
    schemaSpace: StrictStr  # noqa: N815
    documentation: StrictStr = None
    serviceVersion: StrictStr = None  # noqa: N815
    logo: StrictStr = None
    authentication: ApiKeyScheme | BasicScheme = None
    view: Template = None
    feature_view: Template = None
    defaultTypes: list[Type] = None  # noqa: N815
    suggest: SuggestMetadata = None
    preview: PreviewMetadata = None
    extend: ExtendMetadata = None
    batchSize: Annotated[StrictInt, Field(gt=0)] = None  # noqa: N815

    @field_validator("versions")
    @classmethod
    def _has_02(cls, versions: list[str]) -> list[str]:
        if "0.2" not in versions:
            raise ValueError("versions must contain 0.2")
        return versions

    @field_validator("defaultTypes")
    @classmethod
    def _unique(cls, types: list[Type]) -> list[Type]:
        if len({t.model_dump_json() for t in types}) != len(types):
            raise ValueError("defaultTypes must be unique")
        return types


# ---------------------------------------------------------------- reconciliation queries and results


class EntityValue(Open):
    """A property value that is an entity (e.g. reconciled before): its id, maybe its name."""

    id: StrictStr
    name: StrictStr = None


PropertyValue = StrictStr | Number | StrictBool | EntityValue


class PropertyMapping(Open):
    pid: StrictStr
    v: PropertyValue | list[PropertyValue]


class Query(Closed):
    """One reconciliation query. At least one of ``query`` and ``properties`` is given; ``limit`` is a
    positive integer (the text says so; JSON has one number type, so 5.0 is the integer 5)."""

    query: NonEmpty = None
    type: StrictStr | list[StrictStr] = None
    limit: Number = None
    properties: list[PropertyMapping] = None
    type_strict: Literal["any", "should", "all"] = None

    @field_validator("limit")
    @classmethod
    def _positive_integer(cls, limit: float) -> int:
        if not (math.isfinite(limit) and limit == int(limit) and limit > 0):
            raise ValueError("limit must be a positive integer")
        return int(limit)

    @model_validator(mode="after")
    def _query_or_properties(self) -> Query:
        if self.query is None and not self.properties:
            raise ValueError("a query needs 'query' text or at least one property")
        return self


class Feature(Open):
    id: StrictStr
    value: StrictBool | Number


class Candidate(Open):
    """A reconciliation candidate; results are sorted by decreasing score."""

    id: StrictStr
    name: StrictStr
    description: StrictStr = None
    score: Number
    features: list[Feature] = None
    match: StrictBool = None
    type: list[TypeRef | StrictStr] = None


class Result(Open):
    result: list[Candidate]

    @field_validator("result")
    @classmethod
    def _by_decreasing_score(cls, result: list[Candidate]) -> list[Candidate]:
        if any(a.score < b.score for a, b in zip(result, result[1:], strict=False)):
            raise ValueError("candidates must be sorted by decreasing score")
        return result


class ResultBatch(RootModel[dict[str, Result]]):
    """Results indexed by the keys of the query batch."""


# ---------------------------------------------------------------- suggest


class SuggestedEntity(Open):
    id: StrictStr
    name: StrictStr
    description: StrictStr = None
    notable: list[TypeRef | StrictStr] = None


class SuggestEntitiesResponse(Open):
    result: list[SuggestedEntity]


class SuggestPropertiesResponse(Open):
    result: list[Property]


class SuggestTypesResponse(Open):
    result: list[Type]


# ---------------------------------------------------------------- data extension


class PropertyProposal(Open):
    """The answer of the property-proposal service: the type asked about, its properties, the limit."""

    type: StrictStr
    properties: list[Property]
    limit: StrictInt = None


class ExtendProperty(Open):
    id: StrictStr
    settings: dict[str, Any] = None


class ExtendQuery(Open):
    ids: list[StrictStr]
    properties: list[ExtendProperty]


class ColumnType(Open):
    id: StrictStr
    name: StrictStr = None


class ColumnMeta(Open):
    id: StrictStr
    name: StrictStr
    type: ColumnType = None
    service: Annotated[StrictStr, Field(pattern=r"^https?://")] = None


class NoValue(Closed):
    pass


class EntityCell(Closed):
    id: StrictStr
    name: StrictStr
    description: StrictStr = None


class StrCell(Closed):
    str: StrictStr


class FloatCell(Closed):
    float: Number


class IntCell(Closed):
    int: StrictInt


class DateCell(Closed):
    date: Annotated[StrictStr, Field(pattern=r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])"
                                             r"T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
                                             r"(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$")]


Cell = EntityCell | StrCell | IntCell | FloatCell | DateCell | NoValue


class ExtendResponse(Open):
    """Columns (``meta``) and, per entity id asked for, the values of each column."""

    meta: list[ColumnMeta]
    rows: dict[str, dict[str, list[Cell]]]
