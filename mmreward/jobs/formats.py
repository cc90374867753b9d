"""Reading rows from JSONL, Parquet and Hugging Face `save_to_disk` directories, and writing
the relabeled rows back in any of the three."""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Literal, get_args

import pyarrow as pa
import pyarrow.parquet as pq

from mmreward.encodable import unencodable_reason
from mmreward.errors import MMRewardError
from mmreward.jobs.rows import RAW_LINE

Format = Literal["jsonl", "parquet", "hf"]
FORMATS: tuple[Format, ...] = get_args(Format)
_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class JobError(MMRewardError):
    """A job that cannot start or finish as asked; nothing was written over."""


def detect_format(path: Path, given: str | None, flag: str) -> Format:
    """`given` when set; else by extension; a directory or a bare name is a `datasets` dir."""
    if given is not None:
        if given not in FORMATS:
            raise JobError(f"{flag}: {given!r} is not one of {', '.join(FORMATS)}")
        return given
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is not None:
        return fmt
    if path.is_dir() or not path.suffix:
        return "hf"
    raise JobError(f"cannot tell the format of {path} from {path.suffix!r}; pass {flag}")


@dataclass(frozen=True)
class Start:
    """Where a chunk begins: byte offset and line number (JSONL), row index (all formats)."""

    offset: int
    line: int
    row: int


@dataclass(frozen=True)
class SourceRow:
    """One input row; `error` is set when the reader could not make a record of it."""

    label: str
    data: dict[str, Any]
    error: str | None = None


class Source:
    """An input file or directory, read twice: once to score, once to write the output."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.format = fmt
        if fmt == "hf":
            import datasets

            try:
                loaded = datasets.load_from_disk(str(path))
            except FileNotFoundError as error:
                reason = f"{path} is not a `datasets` save_to_disk directory: {error}"
                raise JobError(reason) from None
            if not isinstance(loaded, datasets.Dataset):
                raise JobError(f"{path} holds a DatasetDict; pass one split's directory")
            self._dataset = loaded

    def columns(self) -> list[str] | None:
        """Column names when the format has a schema (Parquet, datasets); None for JSONL."""
        if self.format == "parquet":
            return list(pq.read_schema(self.path).names)
        if self.format == "hf":
            return list(self._dataset.column_names)
        return None

    def dataset_features(self) -> dict[str, Any]:
        """The `datasets` features of a `datasets` input, by column."""
        return dict(self._dataset.features)

    def count(self) -> int:
        """Rows in the input (blank JSONL lines are not rows)."""
        if self.format == "parquet":
            return int(pq.ParquetFile(self.path).metadata.num_rows)
        if self.format == "hf":
            return len(self._dataset)
        with self.path.open("rb") as lines:
            return sum(1 for line in lines if line.strip())

    def rows(self) -> Iterator[SourceRow]:
        """Every row in input order; a bad JSONL line is a row holding its text and an error."""
        if self.format == "jsonl":
            yield from self._jsonl_rows()
            return
        number = 0
        for batch in self.batches():
            for data in batch.to_pylist():
                number += 1
                yield SourceRow(f"row {number}", data)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Arrow record batches of a Parquet or `datasets` input."""
        if self.format == "parquet":
            parquet = _parquet(self.path)
            yield from parquet.iter_batches(batch_size=_batch_rows(parquet.metadata))
        elif self.format == "hf":
            yield from self._dataset.data.table.to_batches()
        else:
            raise JobError("JSONL has no Arrow batches")

    def table(self) -> pa.Table:
        """The whole Parquet or `datasets` input as one Arrow table."""
        if self.format == "parquet":
            return pq.read_table(self.path)
        if self.format == "hf":
            return self._dataset.data.table.combine_chunks()
        raise JobError("JSONL has no Arrow table")

    def chunk_starts(self, chunk_rows: int) -> list[Start]:
        """Where each chunk of `chunk_rows` rows begins, so a chunk can be read on its own."""
        if self.format != "jsonl":
            return [Start(0, 0, k * chunk_rows) for k in range(-(-self.count() // chunk_rows))]
        starts: list[Start] = []
        seen = offset = 0
        with self.path.open("rb") as lines:
            for number, raw in enumerate(lines, 1):
                if raw.strip():
                    if seen % chunk_rows == 0:
                        starts.append(Start(offset, number, seen))
                    seen += 1
                offset += len(raw)
        return starts

    def read_chunk(self, start: Start, chunk_rows: int) -> list[SourceRow]:
        """The `chunk_rows` rows from `start` (one of `chunk_starts`)."""
        if self.format == "jsonl":
            return list(islice(self._jsonl_rows(start.offset, start.line), chunk_rows))
        if self.format == "hf":
            table = self._dataset.data.table.slice(start.row, chunk_rows)
        else:
            parquet = _parquet(self.path)
            first, begin = 0, 0
            groups: list[int] = []
            for group in range(parquet.num_row_groups):
                size = parquet.metadata.row_group(group).num_rows
                if first + size > start.row and first < start.row + chunk_rows:
                    if not groups:
                        begin = start.row - first
                    groups.append(group)
                first += size
            table = parquet.read_row_groups(groups).slice(begin, chunk_rows)
        return [
            SourceRow(f"row {start.row + i + 1}", data) for i, data in enumerate(table.to_pylist())
        ]

    def _jsonl_rows(self, offset: int = 0, first_line: int = 1) -> Iterator[SourceRow]:
        with self.path.open("rb") as lines:
            lines.seek(offset)
            for number, raw in enumerate(lines, first_line):
                if not raw.strip():
                    continue
                label = f"line {number}"
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    kept = raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
                    yield SourceRow(label, {RAW_LINE: kept}, f"{label}: not UTF-8 ({error.reason})")
                    continue
                text = text.rstrip("\r\n")
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as error:
                    yield SourceRow(label, {RAW_LINE: text}, f"{label}: invalid JSON ({error.msg})")
                    continue
                if not isinstance(data, dict):
                    yield SourceRow(label, {RAW_LINE: text}, f"{label}: not a JSON object")
                elif (unencodable := unencodable_reason(data)) is not None:
                    # The row is kept as its raw line: the output must encode.
                    yield SourceRow(label, {RAW_LINE: text}, f"{label}: {unencodable}")
                else:
                    yield SourceRow(label, data)


def _parquet(path: Path) -> pq.ParquetFile:
    """Without `pre_buffer`: with it, every row group read so far stays in Arrow's memory pool
    until the file is closed (measured: a 1.9 GB file held 2 GB by the end of one pass, 155 MB
    without), so a dataset larger than memory could not be relabeled."""
    return pq.ParquetFile(path, pre_buffer=False)


BATCH_BYTES = 64 << 20
"""About how much of a Parquet input one record batch holds (uncompressed), so a dataset of
large images streams in batches of a few dozen rows rather than 4,096."""


def _batch_rows(metadata: pq.FileMetaData) -> int:
    groups = range(metadata.num_row_groups)
    size = sum(metadata.row_group(g).total_byte_size for g in groups)
    per_row = size / max(1, metadata.num_rows)
    return max(1, min(4096, int(BATCH_BYTES / max(per_row, 1.0))))


def _json_default(value: Any) -> Any:
    """JSON for what Arrow rows hold beyond JSON types: bytes as base64, dates as ISO text."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, default=_json_default) + "\n").encode()


def _table(records: Sequence[dict[str, Any]]) -> pa.Table:
    """Columns in order of first appearance; a row without a column holds null there."""
    names = list(dict.fromkeys(name for record in records for name in record))
    columns = {}
    for name in names:
        try:
            columns[name] = pa.array([r.get(name) for r in records])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise JobError(
                f"column {name!r} mixes types Arrow cannot store ({error}); write JSONL instead"
            ) from None
    return pa.table(columns)


def output_table(source: Source, added: Sequence[dict[str, Any]], keep: Sequence[bool]) -> pa.Table:
    """Every kept input row with the added columns, as one Arrow table (replacing any input
    column of the same name)."""
    mask = pa.array(keep, type=pa.bool_())
    extra = _table(added) if added else pa.table({})
    if source.format == "jsonl":
        merged = [{**row.data, **cols} for row, cols in zip(source.rows(), added, strict=True)]
        return _table(merged).filter(mask)
    return _with_columns(source.table(), extra).filter(mask)


def _with_columns(base: pa.Table, extra: pa.Table) -> pa.Table:
    """`base` without its schema metadata, with `extra`'s columns appended (replacing any of the
    same name)."""
    base = base.replace_schema_metadata(None)
    base = base.drop_columns([n for n in extra.column_names if n in base.column_names])
    for name in extra.column_names:
        base = base.append_column(name, extra.column(name))
    return base


def write_jsonl(
    path: Path, source: Source, added: Sequence[dict[str, Any]], keep: Sequence[bool]
) -> None:
    with path.open("wb") as out:
        for row, cols, kept in zip(source.rows(), added, keep, strict=True):
            if kept:
                out.write(json_line({**row.data, **cols}))
        out.flush()
        os.fsync(out.fileno())


def write_parquet(
    path: Path, source: Source, added: Sequence[dict[str, Any]], keep: Sequence[bool]
) -> None:
    """A Parquet input is read and written one record batch at a time: an image dataset larger
    than memory relabels like a small one. (Rows of a JSONL input are gathered first: their
    column types are only known once every row is read.)"""
    if source.format == "jsonl":
        pq.write_table(output_table(source, added, keep), path)
    else:
        extra = _table(added) if added else pa.table({})
        mask = pa.array(keep, type=pa.bool_())
        writer: pq.ParquetWriter | None = None
        offset = 0
        try:
            for batch in source.batches():
                rows = batch.num_rows
                part = _with_columns(
                    pa.Table.from_batches([batch]), extra.slice(offset, rows)
                ).filter(mask.slice(offset, rows))
                offset += rows
                if writer is None:
                    writer = pq.ParquetWriter(path, part.schema)
                writer.write_table(part)
            if writer is None:  # no rows: the schema alone
                empty = source.table().schema.empty_table()
                writer = pq.ParquetWriter(path, _with_columns(empty, extra).schema)
        finally:
            if writer is not None:
                writer.close()
    with path.open("rb") as written:
        os.fsync(written.fileno())


def write_dataset(path: Path, table: pa.Table, source: Source) -> None:
    """`save_to_disk` with a fingerprint from the content, so a re-run writes the same bytes.

    Columns of a `datasets` input keep their features (an `Image` stays an `Image`)."""
    import datasets
    from datasets.features.features import get_nested_type

    features = datasets.Features.from_arrow_schema(table.schema)
    if source.format == "hf":
        kept = source.dataset_features()
        for name in features:
            if name in kept and get_nested_type(kept[name]) == table.schema.field(name).type:
                features[name] = kept[name]

    digest = hashlib.sha256()
    for batch in table.to_batches():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as stream:
            stream.write_batch(batch)
        digest.update(sink.getvalue().to_pybytes())
    info = datasets.DatasetInfo(features=features)
    dataset = datasets.Dataset(table, info=info, fingerprint=digest.hexdigest()[:16])
    dataset.save_to_disk(str(path))
    for written in sorted(path.rglob("*")):
        if written.is_file():
            with written.open("rb") as handle:
                os.fsync(handle.fileno())
