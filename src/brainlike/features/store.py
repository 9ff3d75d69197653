"""features/1 Parquet files: every layer of one model for one story (schema in io/schemas)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_path
from brainlike.io.schemas import FEATURES, SCHEMA_KEY, check_schema, read_metadata


def write_features(path: str | Path, layers: dict[str, np.ndarray], tr: float,
                   info: dict) -> None:
    """layers: name -> (n_volumes, F_layer) float32, all with the same n_volumes."""
    sizes = {v.shape[0] for v in layers.values()}
    if len(sizes) != 1 or any(v.ndim != 2 for v in layers.values()):
        raise ValueError(f"every layer must be (n_volumes, F) with one n_volumes, found "
                         f"{[v.shape for v in layers.values()]}")
    meta = {**info, "tr": tr, "layers": {k: int(v.shape[1]) for k, v in layers.items()}}
    schema = FEATURES.with_metadata({SCHEMA_KEY: b"features/1",
                                     b"brainlike.features": json.dumps(meta).encode()})
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for name, values in layers.items():
            n, f = values.shape
            flat = pa.array(np.ascontiguousarray(values, np.float32).ravel())
            offsets = pa.array(np.arange(0, (n + 1) * f, f, dtype=np.int32))
            table = pa.Table.from_arrays(
                [pa.array([name] * n, pa.string()), pa.array(np.arange(n, dtype=np.int32)),
                 pa.array(np.arange(n) * tr, pa.float64()), pa.ListArray.from_arrays(offsets, flat)],
                schema=schema)
            writer.write_table(table)  # one row group per layer


def feature_info(path: str | Path) -> dict:
    check_schema(path, "features/1")
    return read_metadata(path, "brainlike.features")


def read_layer(path: str | Path, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """(times (n_volumes,), values (n_volumes, F)) of one layer."""
    return _read_layer(path, layer, feature_info(path))


def read_layer_grid(path: str | Path, layer: str) -> tuple[float, np.ndarray, np.ndarray]:
    """(tr, times (n_volumes,), values (n_volumes, F)) of one layer, the TR from the file's
    metadata. An InputError names the file when the TR is missing or not a positive number,
    or when the time column is not ``volume * tr``."""
    info = feature_info(path)
    tr = info.get("tr")
    if isinstance(tr, bool) or not isinstance(tr, (int, float)) or not np.isfinite(tr) \
            or tr <= 0:
        raise InputError(path, f"its brainlike.features metadata has no positive 'tr' "
                               f"(found {tr!r})")
    times, values = _read_layer(path, layer, info)
    expected = np.arange(len(times)) * float(tr)
    off = np.flatnonzero(np.abs(times - expected) > 1e-6 * max(1.0, float(tr)))
    if off.size:
        at = int(off[0])
        raise InputError(path, f"its time column disagrees with its metadata tr = {tr} s: "
                               f"volume {at} is at {times[at]} s, not {expected[at]} s")
    return float(tr), times, values


def _read_layer(path: str | Path, layer: str, info: dict) -> tuple[np.ndarray, np.ndarray]:
    if layer not in info["layers"]:
        raise InputError(path, f"no layer {layer!r}; it has {list(info['layers'])}")
    table = pq.read_table(path, filters=[("layer", "=", layer)], columns=["time", "values"])
    values = table.column("values").combine_chunks().flatten().to_numpy()
    return (table.column("time").to_numpy(),
            values.reshape(table.num_rows, info["layers"][layer]))
