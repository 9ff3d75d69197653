"""Published speech encoders imported into the layer API, through torchaudio's importers.

Sources: a Hugging Face model directory (``Wav2Vec2Model`` / ``HubertModel``, as
``save_pretrained`` or a hub download writes it) or a fairseq checkpoint (``.pt``; reading it
needs the ``fairseq`` package). torchaudio's ``import_huggingface_model`` /
``import_fairseq_model`` rebuild the encoder; :func:`brainlike.models.pretrained.config_of`
reads its architecture back, so the checkpoint written is ours (``checkpoint.load`` with
``weights_only=True``) and everything downstream treats it as any other model.

Waveform normalisation follows the source's own preprocessing: Hugging Face's
``preprocessor_config.json`` (``do_normalize``, ``sampling_rate``), fairseq's
``task.normalize`` / ``task.sample_rate``. A directory without a preprocessor config feeds
the waveform unchanged; ``normalize`` overrides either way.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from brainlike.errors import InputError
from brainlike.io.atomic import atomic_directory
from brainlike.models.pretrained import PretrainedEncoder, config_of

log = logging.getLogger(__name__)

FORMATS = ("huggingface", "fairseq")
#: Hugging Face ``model_type`` -> the transformers class torchaudio imports from.
HF_CLASSES = {"wav2vec2": "Wav2Vec2Model", "hubert": "HubertModel"}
#: What a hub download keeps: the configs and one set of weights.
HUB_CONFIGS = ("config.json", "preprocessor_config.json")
#: The record a hub download leaves in its directory (repository, revision asked, commit got).
HUB_RECORD = "brainlike-hub.json"
DEFAULT_RATE = 16000


def import_pretrained(source: str | Path, fmt: str,
                      normalize: bool | None = None) -> tuple[PretrainedEncoder, dict[str, Any]]:
    """(encoder in eval mode, provenance) for a Hugging Face directory or fairseq checkpoint.

    normalize: None follows the source's preprocessing; True/False overrides it.
    InputError naming the path if the source is missing or not a model torchaudio imports.
    """
    source = Path(source)
    if fmt not in FORMATS:
        raise ValueError(f"unknown pretrained format {fmt!r}; choose from {FORMATS}")
    if not source.exists():
        raise InputError(source, f"no such {'directory' if fmt == 'huggingface' else 'file'} "
                                 f"(the {fmt} source of a pretrained model)")
    backbone, meta = _huggingface(source) if fmt == "huggingface" else _fairseq(source)
    if normalize is not None:
        meta["normalize"], meta["normalize_from"] = normalize, "config"
    model = PretrainedEncoder(config_of(backbone, meta["normalize"], meta["sample_rate"]))
    # strict: every tensor torchaudio imported has its place in the model the config rebuilds
    model.backbone.load_state_dict(backbone.state_dict())
    return model.eval(), {"source": str(source), "format": fmt, **meta}


def _huggingface(source: Path):
    if not source.is_dir():
        raise InputError(source, "a Hugging Face source must be a model directory "
                                 "(config.json + weights, as save_pretrained writes it)")
    config_path = source / "config.json"
    if not config_path.is_file():
        raise InputError(config_path, "missing: not a Hugging Face model directory")
    try:
        model_type = json.loads(config_path.read_text()).get("model_type")
    except json.JSONDecodeError as exc:
        raise InputError(config_path, f"not valid JSON ({exc})") from exc
    if model_type not in HF_CLASSES:
        raise InputError(config_path, f"model_type {model_type!r} is not one imported here; "
                                      f"choose from {sorted(HF_CLASSES)}")
    import transformers
    from torchaudio.models.wav2vec2.utils import import_huggingface_model

    try:
        original = getattr(transformers, HF_CLASSES[model_type]).from_pretrained(
            source, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InputError(source, f"cannot load the {HF_CLASSES[model_type]} weights ({exc})") \
            from exc
    backbone = import_huggingface_model(original.float().eval())
    normalize, rate, origin = False, DEFAULT_RATE, "none (no preprocessor_config.json)"
    pre = source / "preprocessor_config.json"
    if pre.is_file():
        settings = json.loads(pre.read_text())
        normalize = bool(settings.get("do_normalize", False))
        rate = int(settings.get("sampling_rate", DEFAULT_RATE))
        origin = "preprocessor_config.json"
    return backbone, {"model_type": model_type, "normalize": normalize, "sample_rate": rate,
                      "normalize_from": origin}


def _fairseq(source: Path):
    if not source.is_file():
        raise InputError(source, "a fairseq source must be a checkpoint file (.pt)")
    try:
        from fairseq import checkpoint_utils
    except ImportError as exc:
        raise InputError(source, "reading a fairseq checkpoint needs the fairseq package "
                                 "(not installed); or convert it to a Hugging Face directory "
                                 "with transformers' wav2vec2 conversion script") from exc
    from torchaudio.models.wav2vec2.utils import import_fairseq_model

    models, cfg, _ = checkpoint_utils.load_model_ensemble_and_task([str(source)])
    backbone = import_fairseq_model(models[0].eval())
    task = cfg.task
    return backbone, {"model_type": type(models[0]).__name__,
                      "normalize": bool(getattr(task, "normalize", False)),
                      "sample_rate": int(getattr(task, "sample_rate", DEFAULT_RATE)),
                      "normalize_from": "task.normalize"}


def fetch_hub(repo_id: str, revision: str | None, dest: str | Path) -> dict[str, Any]:
    """Download a hub model's configs and weights into ``dest`` (atomically); returns the
    record also written there (repository, revision asked for, commit downloaded)."""
    from huggingface_hub import HfApi, snapshot_download

    info = HfApi().model_info(repo_id, revision=revision)
    files = [s.rfilename for s in info.siblings or []]
    # One set of weights: safetensors where the repository has them, else PyTorch's .bin.
    weights = ([f for f in files if f.endswith(".safetensors")]
               or [f for f in files if f.endswith(".bin")])
    if "config.json" not in files or not weights:
        raise InputError(repo_id, f"hub repository at {info.sha} has no config.json and "
                                  f"weights (files: {sorted(files)})")
    wanted = [f for f in files if f in HUB_CONFIGS or f.endswith(".index.json")] + weights
    record = {"repo_id": repo_id, "revision": revision, "commit": info.sha, "files": wanted}
    with atomic_directory(dest) as tmp:
        snapshot_download(repo_id, revision=info.sha, local_dir=tmp, allow_patterns=wanted)
        (tmp / HUB_RECORD).write_text(json.dumps(record, indent=1) + "\n")
    log.info("%s@%s: %s", repo_id, info.sha, ", ".join(wanted))
    return record
