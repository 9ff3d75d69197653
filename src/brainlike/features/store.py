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
    info = feature_info(path)
    if layer not in info["layers"]:
        raise InputError(path, f"no layer {layer!r}; it has {list(info['layers'])}")
    table = pq.read_table(path, filters=[("layer", "=", layer)], columns=["time", "values"])
    values = table.column("values").combine_chunks().flatten().to_numpy()
    return (table.column("time").to_numpy(),
            values.reshape(table.num_rows, info["layers"][layer]))
