"""Every Parquet file the workflow writes, documented and validated in one place.

Each file carries its schema name and version in the key-value metadata under
``brainlike.schema``; readers check it together with the column types, so a stale or foreign
file fails with a message naming it instead of producing wrong numbers downstream.

utterance/1 -- stimuli (one row per story) and training-corpus shards (one row per chapter)
    utt_id       string   story task label, or chapter id
    collection   string   language code (en, fr, zh) or ``nonspeech``
    speaker      string   voice / speaker id
    sample_rate  int32    Hz (16 000 after preprocessing)
    n_samples    int64    length of ``audio``
    audio        list<int16>  PCM; divide by 32768 for [-1, 1)
    words        list<struct<word string, onset float64, offset float64,
                             sentence int32, position int32>>   seconds from utterance start
    phonemes     list<struct<phoneme string, onset float64, offset float64, word_index int32>>
                 ``word_index`` is the row of ``words`` the phoneme belongs to

responses/1 -- one file per subject and run: a row per kept volume (TR)
    volume       int32    index of the volume in the original scan
    time         float64  acquisition onset of the volume, in seconds of the story's audio
    data         fixed_size_list<float32>[n_vertices]
    metadata: ``brainlike.vertices`` (JSON list of vertex ids into vertices/1, NaN vertices
    already dropped), ``brainlike.run`` (JSON: subject, task, the story heard and its
    segments from events.tsv, tr, sources, dropped vertices, trimmed volumes).  A fixed-size-list row per TR reads 3x faster than a column per vertex.

vertices/1 -- one file per dataset: the vertex table
    vertex int32 (global id), hemi string (L/R), index int32 (vertex in its hemisphere),
    roi int16, roi_name string (the ROI: an atlas group, ``other`` for unmapped labels),
    label string (the atlas's own label of the vertex, e.g. ``G_temp_sup-G_T_transv``;
    ``roi_name`` again for in-dataset ROI labels)

features/1 -- one file per dataset, model and story: every layer on the story's volume grid
    layer        string   layer name (``conv1``, ``transformer4``, ``spectrogram``, ...)
    volume       int32    volume index on the story-locked grid (volume i starts i*TR after
                          the story onset)
    time         float64  ``volume * tr`` seconds
    values       list<float32>  the layer's regressors (HRF-convolved, or FIR-delayed)
    one row group per layer, so a reader fetches one layer without the others; metadata
    ``brainlike.features`` (JSON: tr, rate, response, scaling, layers with their widths).

brainscores/1 -- one file per dataset and model, a row group per subject: held-out r of every vertex
    model string, subject string, layer string, layer_index int16, vertex int32, fold int16,
    r float32 (Pearson r on the fold's held-out volumes), alpha float32 (chosen penalty)

roiscores/1 -- beside each brainscores/1 file: the ROI statistics of the same fits
    model, subject, layer string, roi string, mean_r float64 (ROI mean of the vertices' r),
    roi_r float64 (CV r of the ROI-mean response), p_value float64 (its refitted
    circular-shift null, +1 corrected)

ceilings/1 -- one file per dataset: the noise ceiling of every subject's vertices
    subject string, vertex int32, ceiling float64, method string

summary/1 -- one file per dataset, tidy long form (subject ``group`` = mean over subjects)
    dataset, model, subject, layer string, layer_index int16, roi string, n_vertices int32,
    mean_r, normalised_r, ceiling, p_value, p_fdr float64, significant bool,
    ci_low, ci_high float64 (95 % bootstrap over subjects, group rows only)

traininglog/1 -- one file per trained model, tidy long form (objectives log different terms)
    step int32, term string (loss, lr, masked_accuracy, hard_perplexity, audio_s_per_s,
    data_wait_fraction, ...), value float64

probe/1 -- one file per dataset and model: the layer-wise phone probe (brainlike.probes)
    model string, layer string, layer_index int16, fold int16, accuracy float64 (held-out
    frames named right), chance float64 (majority phone of the training folds), alpha
    float64, n_train int32, n_test int32, n_classes int32

probesummary/1 -- one file per dataset: the probe's verdict per model (brainlike.probes.summary)
    model string, control string (the untrained model of the same family and preset; "" for
    none), best_layer string, best_index int16 (most phonetic layer, mean over folds),
    accuracy float64, first_layer string, first_accuracy float64, over_first float64 (mean
    of best - first over folds), folds_over_first int16, control_accuracy float64 (the
    control's same layer; NaN without one), over_control float64, folds_over_control int16,
    n_folds int16, deeper bool (best is not the first layer), beats_control bool, passes bool

groundtruth/1 -- simulated datasets only: the planted answer per subject and vertex
    subject string, vertex int32, roi int16, driver string, signal_var float64,
    noise_var float64, snr float64, ceiling_r float64
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path

SCHEMA_KEY = b"brainlike.schema"

WORD_STRUCT = pa.struct([
    ("word", pa.string()), ("onset", pa.float64()), ("offset", pa.float64()),
    ("sentence", pa.int32()), ("position", pa.int32()),
])
PHONEME_STRUCT = pa.struct([
    ("phoneme", pa.string()), ("onset", pa.float64()), ("offset", pa.float64()),
    ("word_index", pa.int32()),
])

UTTERANCE = pa.schema([
    ("utt_id", pa.string()), ("collection", pa.string()), ("speaker", pa.string()),
    ("sample_rate", pa.int32()), ("n_samples", pa.int64()), ("audio", pa.list_(pa.int16())),
    ("words", pa.list_(WORD_STRUCT)), ("phonemes", pa.list_(PHONEME_STRUCT)),
])

VERTICES = pa.schema([
    ("vertex", pa.int32()), ("hemi", pa.string()), ("index", pa.int32()),
    ("roi", pa.int16()), ("roi_name", pa.string()), ("label", pa.string()),
])

GROUNDTRUTH = pa.schema([
    ("subject", pa.string()), ("vertex", pa.int32()), ("roi", pa.int16()),
    ("driver", pa.string()), ("signal_var", pa.float64()), ("noise_var", pa.float64()),
    ("snr", pa.float64()), ("ceiling_r", pa.float64()),
])


FEATURES = pa.schema([
    ("layer", pa.string()), ("volume", pa.int32()), ("time", pa.float64()),
    ("values", pa.list_(pa.float32())),
])


BRAINSCORES = pa.schema([
    ("model", pa.string()), ("subject", pa.string()), ("layer", pa.string()),
    ("layer_index", pa.int16()), ("vertex", pa.int32()), ("fold", pa.int16()),
    ("r", pa.float32()), ("alpha", pa.float32()),
])

ROISCORES = pa.schema([
    ("model", pa.string()), ("subject", pa.string()), ("layer", pa.string()),
    ("roi", pa.string()), ("mean_r", pa.float64()), ("roi_r", pa.float64()),
    ("p_value", pa.float64()),
])

CEILINGS = pa.schema([
    ("subject", pa.string()), ("vertex", pa.int32()), ("ceiling", pa.float64()),
    ("method", pa.string()),
])

TRAININGLOG = pa.schema([
    ("step", pa.int32()), ("term", pa.string()), ("value", pa.float64()),
])

SUMMARY = pa.schema([
    ("dataset", pa.string()), ("model", pa.string()), ("subject", pa.string()),
    ("layer", pa.string()), ("layer_index", pa.int16()), ("roi", pa.string()),
    ("n_vertices", pa.int32()), ("mean_r", pa.float64()), ("normalised_r", pa.float64()),
    ("ceiling", pa.float64()), ("p_value", pa.float64()), ("p_fdr", pa.float64()),
    ("significant", pa.bool_()), ("ci_low", pa.float64()), ("ci_high", pa.float64()),
])


PROBE = pa.schema([
    ("model", pa.string()), ("layer", pa.string()), ("layer_index", pa.int16()),
    ("fold", pa.int16()), ("accuracy", pa.float64()), ("chance", pa.float64()),
    ("alpha", pa.float64()), ("n_train", pa.int32()), ("n_test", pa.int32()),
    ("n_classes", pa.int32()),
])

PROBESUMMARY = pa.schema([
    ("model", pa.string()), ("control", pa.string()), ("best_layer", pa.string()),
    ("best_index", pa.int16()), ("accuracy", pa.float64()), ("first_layer", pa.string()),
    ("first_accuracy", pa.float64()), ("over_first", pa.float64()),
    ("folds_over_first", pa.int16()), ("control_accuracy", pa.float64()),
    ("over_control", pa.float64()), ("folds_over_control", pa.int16()),
    ("n_folds", pa.int16()), ("deeper", pa.bool_()), ("beats_control", pa.bool_()),
    ("passes", pa.bool_()),
])


def pcm_to_float(pcm: np.ndarray) -> np.ndarray:
    """utterance/1 int16 PCM as float32 in [-1, 1)."""
    return pcm.astype(np.float32) / 32768.0


def row_audio(table: pa.Table, i: int) -> np.ndarray:
    """The float32 (samples,) audio of row ``i`` of an utterance/1 table."""
    return pcm_to_float(table.column("audio")[i].values.to_numpy(zero_copy_only=False))


def responses_schema(n_vertices: int) -> pa.Schema:
    """responses/1 for a run with ``n_vertices`` kept vertices."""
    return pa.schema([
        ("volume", pa.int32()), ("time", pa.float64()),
        ("data", pa.list_(pa.float32(), n_vertices)),
    ])


#: A training clip of a video corpus: uint8 frames (n_frames x height x width, row-major) and
#: the clip's labels (constant over the clip); split "train" or "heldout".
CLIPS = pa.schema([
    ("clip", pa.string()), ("split", pa.string()), ("n_frames", pa.int32()),
    ("height", pa.int32()), ("width", pa.int32()), ("frames", pa.binary()),
    ("shape", pa.int16()), ("texture", pa.int16()),
    ("directions", pa.binary()),  # int8 per frame: the direction class flips at each bounce
])


SCHEMAS: dict[str, pa.Schema | None] = {
    "utterance/1": UTTERANCE,
    "clips/1": CLIPS,
    "vertices/1": VERTICES,
    "groundtruth/1": GROUNDTRUTH,
    "features/1": FEATURES,
    "brainscores/1": BRAINSCORES,
    "roiscores/1": ROISCORES,
    "ceilings/1": CEILINGS,
    "summary/1": SUMMARY,
    "traininglog/1": TRAININGLOG,
    "probe/1": PROBE,
    "probesummary/1": PROBESUMMARY,
    "responses/1": None,  # the list size depends on the run; checked by _check_responses
}


def _with_name(schema: pa.Schema, name: str, extra: dict[str, Any] | None) -> pa.Schema:
    meta = dict(schema.metadata or {})
    meta[SCHEMA_KEY] = name.encode()
    for key, value in (extra or {}).items():
        meta[key.encode()] = json.dumps(value).encode()
    return schema.with_metadata(meta)


def write_table(table: pa.Table, path: str | Path, name: str,
                metadata: dict[str, Any] | None = None,
                row_group_size: int | None = None) -> None:
    """Cast ``table`` to schema ``name``, tag it and write it atomically with zstd."""
    expected = SCHEMAS[name]
    if expected is not None:
        table = table.select(expected.names).cast(expected)
    table = table.replace_schema_metadata(_with_name(table.schema, name, metadata).metadata)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size)


@contextlib.contextmanager
def table_writer(path: str | Path, name: str) -> Iterator[Callable[[pa.Table], None]]:
    """Write schema ``name`` a table at a time (one row group each), atomically: the file
    appears, complete, only when the block exits without an error."""
    expected = SCHEMAS[name]
    if expected is None:
        raise ValueError(f"{name} has no fixed schema to stream")
    schema = _with_name(expected, name, None)
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as out:
        yield lambda table: out.write_table(table.select(schema.names).cast(schema))


def check_schema(path: str | Path, name: str) -> pa.Schema:
    """Return the file's schema after checking it is schema ``name``; raise InputError if not."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(path, f"not a readable Parquet file ({exc})") from exc
    found = (schema.metadata or {}).get(SCHEMA_KEY, b"").decode() or "untagged"
    if found != name:
        raise InputError(path, f"expected a {name} Parquet file, found {found}")
    expected = SCHEMAS[name]
    if expected is None:
        _check_responses(path, schema)
    else:
        for field in expected:
            if field.name not in schema.names:
                raise InputError(path, f"missing column {field.name!r} of {name}")
            if not schema.field(field.name).type.equals(field.type):
                raise InputError(path, f"column {field.name!r} is "
                                 f"{schema.field(field.name).type}, {name} needs {field.type}")
    return schema


def _check_responses(path: str | Path, schema: pa.Schema) -> None:
    data = schema.field("data").type if "data" in schema.names else None
    if not isinstance(data, pa.FixedSizeListType) or data.value_type != pa.float32():
        raise InputError(path, f"column 'data' must be fixed_size_list<float32>, found {data}")
    vertices = json.loads(schema.metadata.get(b"brainlike.vertices", b"null"))
    if not isinstance(vertices, list) or len(vertices) != data.list_size:
        raise InputError(path, "metadata brainlike.vertices does not list one id per column")


def read_table(path: str | Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """Read a Parquet file after validating it against schema ``name``."""
    check_schema(path, name)
    return pq.read_table(path, columns=columns)


def read_metadata(path: str | Path, key: str) -> Any:
    """Return the JSON value stored under ``key`` in the file's key-value metadata."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(key.encode())
    if raw is None:
        raise InputError(path, f"missing metadata key {key!r}")
    return json.loads(raw)
