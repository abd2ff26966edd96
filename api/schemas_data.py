"""Request and response shapes of the data endpoints: persons, search, match, review, runs, reconciliation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from api.schemas import PageInfo
from linkage.service.decisions import MAX_NOTE_LENGTH
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.store import STANDARDIZED_COLUMNS

_SQL_TYPES: dict[str, Any] = {"VARCHAR": str, "INTEGER": int, "BIGINT": int, "BOOLEAN": bool, "DATE": str}

# A record as a principal may see it: every field may be null (empty, masked, or hidden by source scope).
RecordOut = create_model(
    "RecordOut",
    __config__=ConfigDict(extra="ignore"),
    rid=(int | None, Field(None, description="internal record number (null when hidden)")),
    **{c: (str | None, Field(None, description="as recorded (exchange format)")) for c in EXCHANGE_COLUMNS},
    **{
        c: (_SQL_TYPES[t] | None, Field(None, description="standardized" + (" (ISO date)" if t == "DATE" else "")))
        for c, t in STANDARDIZED_COLUMNS.items()
        if c != "std_version"
    },
    version=(int | None, None),
    updated_at=(str | None, None),
)


class LinkOut(BaseModel):
    rid_l: int
    rid_r: int
    source_l: str | None
    record_id_l: str | None
    source_r: str | None
    record_id_r: str | None
    match_weight: float | None
    match_probability: float | None
    model_version: str | None
    run_id: int | None


class HistoryEvent(BaseModel):
    event_id: int
    person_id: str
    event: Literal["created", "merged-into", "split-from", "revived", "records-added", "records-removed"] | str
    other_person_id: str | None
    n_records: int | None
    detail: Any = None
    run_id: int
    at: str | None


class PersonOut(BaseModel):
    """A person. For an ``alias`` ID, ``resolved_to`` names the active person it was merged into (following
    alias chains); a ``retired`` ID lists in ``successors`` the persons its records went to. Both answer
    200 with no records, so a caller that kept an old ID always learns where it went."""

    person_id: str
    status: Literal["active", "alias", "retired"]
    alias_of: str | None
    resolved_to: str | None
    successors: list[str]
    created_run_id: int
    updated_run_id: int
    n_records: int
    records: list[RecordOut]  # type: ignore[valid-type]
    links: list[LinkOut]
    history: list[HistoryEvent]


class SearchHit(BaseModel):
    person_id: str
    score: float = Field(description="name key parts agreeing (2 each), romanized similarity, phone, birth, place")
    records_matched: int
    best_record: RecordOut | None  # type: ignore[valid-type]


class SearchResponse(BaseModel):
    page: PageInfo
    items: list[SearchHit]


class ExchangeRecord(BaseModel):
    """One record in the exchange format (shared/record-schema.md); every field is text as recorded."""

    model_config = ConfigDict(extra="forbid")
    record_id: str | None = Field(None, max_length=200, description="required with persist=true")
    source: str | None = Field(None, max_length=100, description="required with persist=true")
    role: str | None = Field(None, max_length=50)
    full_name: str | None = Field(None, max_length=500)
    given_name: str | None = Field(None, max_length=300)
    family_name: str | None = Field(None, max_length=300)
    sex: str | None = Field(None, max_length=50)
    date_of_birth: str | None = Field(None, max_length=50)
    age: str | None = Field(None, max_length=50)
    nationality: str | None = Field(None, max_length=100)
    province: str | None = Field(None, max_length=200)
    district: str | None = Field(None, max_length=200)
    village: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=100)
    id_number: str | None = Field(None, max_length=100)
    event_date: str | None = Field(None, max_length=50)
    case_type: str | None = Field(None, max_length=100, description="optional: TIP, SOM, other, or the source's words")
    exploitation: str | None = Field(None, max_length=100, description="optional: form of exploitation")

    @field_validator("*")
    @classmethod
    def _no_nul_byte(cls, value: str | None) -> str | None:
        """A NUL byte in any field: ingest quarantines such a row (``linkage/sources/staged_rows.py``)."""
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL byte")
        return value


class FieldWarning(BaseModel):
    """A value the nightly could not read either: its standardized field is left empty, as the nightly stores it."""

    field: str = Field(description="the exchange-format field")
    value: str | None
    reason: str


class FieldComparisonOut(BaseModel):
    comparison: str
    gamma: int = Field(description="level reached (-1: a value missing on one side)")
    label: str
    match_weight: float = Field(description="this comparison's share of the match weight (term frequencies included)")


class MatchCandidate(BaseModel):
    person_id: str | None
    match_probability: float
    match_weight: float
    source: str = Field(description="the person's record that matched best")
    record_id: str
    records_compared: int
    fields: list[FieldComparisonOut]


class PendingOut(BaseModel):
    pending_id: int
    received_at: str


class MatchResponse(BaseModel):
    model_version: str
    candidates_scored: int
    persons: list[MatchCandidate]
    persisted: PendingOut | None = Field(None, description="set when persist=true stored the record")
    warnings: list[FieldWarning] = Field(
        default_factory=list, description="values that could not be read, left empty (the nightly lists them too)")


class QueueItemOut(BaseModel):
    item_id: int
    kind: Literal["pair", "cluster"] | str
    priority: float
    reason: str
    match_probability: float | None
    run_id: int
    person_id: str | None
    record_l: RecordOut | None = None  # type: ignore[valid-type]
    record_r: RecordOut | None = None  # type: ignore[valid-type]


class QueueResponse(BaseModel):
    page: PageInfo
    by_kind: dict[str, int]
    by_source: dict[str, int]
    items: list[QueueItemOut]


class FieldRow(BaseModel):
    field: str
    raw_l: str | None
    raw_r: str | None
    standardized_l: dict[str, Any]
    standardized_r: dict[str, Any]


class StoredComparison(BaseModel):
    comparison: str
    gamma: int | None
    label: str | None
    match_weight: float | None


class PredictionOut(BaseModel):
    match_weight: float | None
    match_probability: float | None
    model_version: str | None
    run_id: int | None
    comparisons: list[StoredComparison]


class DecisionOut(BaseModel):
    decision_id: int
    judgement: Literal["positive", "negative", "unsure"]
    decided_by: str
    decided_at: str
    note: str | None = None
    contested: bool = False


class PairOut(BaseModel):
    item: QueueItemOut | None = None
    record_l: RecordOut  # type: ignore[valid-type]
    record_r: RecordOut  # type: ignore[valid-type]
    person_id_l: str | None
    person_id_r: str | None
    fields: list[FieldRow]
    prediction: PredictionOut | None = Field(description="the stored scores; null if the pair was never scored")
    decision: DecisionOut | None


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_l: str = Field(min_length=1, max_length=100)
    record_id_l: str = Field(min_length=1, max_length=200)
    source_r: str = Field(min_length=1, max_length=100)
    record_id_r: str = Field(min_length=1, max_length=200)
    judgement: Literal["same", "not_same", "unsure"]
    note: str | None = Field(None, max_length=MAX_NOTE_LENGTH)
    expected_decision_id: int | None = Field(
        None, ge=1, description="the pair's current decision as you saw it (null if none); 409 if it changed"
    )


class DecisionCreated(DecisionOut):
    source_l: str
    record_id_l: str
    source_r: str
    record_id_r: str
    supersedes: int | None


class RunOut(BaseModel):
    run_id: int
    started_at: str | None
    finished_at: str | None
    status: str
    model_version: str | None


class RunDetail(RunOut):
    report: Any = None


class RunsResponse(BaseModel):
    page: PageInfo
    running: bool = Field(description="a nightly run started through the API is in progress")
    items: list[RunOut]


class RunStarted(BaseModel):
    pid: int
    log: str
    command: list[str]
