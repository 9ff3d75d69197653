"""The plan's vision side: targets and job inputs of `viewing` datasets and vision models.

Mixed into :class:`brainlike.plan.plan.Plan` (which holds the fields used here): the same
patterns, acquisition, training rule and provenance as speech, with cells instead of
vertices, the movie as the one stimulus, and areas instead of ROIs.
"""

from __future__ import annotations

from brainlike.plan import paths

#: The figures of a viewing dataset, one rule (rules/vision.smk).
VISION_FIGURES = ("area_profiles", "specialisation")


class VisionPlan:
    # -- targets ------------------------------------------------------------------------
    def vision_data_targets(self) -> list[str]:
        out = []
        for name in self.target_viewing:
            ds = self.viewing[name]
            out += [paths.STIMULUS.path(dataset=name, story=ds.movie),
                    paths.CELLS.path(dataset=name), paths.SESSIONS.path(dataset=name)]
            if ds.groundtruth:
                out.append(paths.GROUNDTRUTH.path(dataset=name))
        return out

    def vision_result_targets(self) -> list[str]:
        out = []
        for name in self.target_viewing:
            out += [paths.SUMMARY.path(dataset=name), paths.SPECIALISATION.path(dataset=name)]
            out += [paths.FIGURE.path(dataset=name, figure=f) for f in VISION_FIGURES]
        if self.target_viewing and self.vision_models:
            out += [paths.SHAPE_BIAS_TABLE, paths.SHAPE_BIAS_FIGURE]
        return out

    def vision_result_files(self) -> list[str]:
        out = []
        for name in self.target_viewing:
            out += [p.path(dataset=name, model=m) for m in self.vision_scored
                    for p in (paths.BRAINSCORES, paths.ROISCORES)]
            out.append(paths.CEILINGS.path(dataset=name))
        if self.target_viewing:
            out += [paths.SHAPE_BIAS.path(model=m) for m in self.vision_models]
        return out

    # -- job inputs -----------------------------------------------------------------------
    def viewing_inputs(self, dataset: str) -> dict[str, object]:
        return {"manifest": paths.MANIFEST.path(name=dataset)}

    def vision_feature_inputs(self, dataset: str, model: str) -> dict[str, object]:
        """The movie's frames and the model's checkpoint (none for a baseline)."""
        ds = self.viewing[dataset]
        inputs: dict[str, object] = {
            "movie": paths.STIMULUS.path(dataset=dataset, story=ds.movie)}
        if model in self.models:
            if self.models[model].modality != "video":
                raise ValueError(f"{model!r} does not read frames: it cannot watch {dataset}")
            inputs["model"] = self.checkpoint(model)
        elif model not in self.vision.baselines:
            raise ValueError(f"{model!r} is neither a configured model nor a vision baseline")
        return inputs

    def vision_feature_file(self, dataset: str, model: str) -> str:
        return paths.FEATURES.path(dataset=dataset, model=model, story=self.viewing[dataset].movie)

    def vision_score_inputs(self, dataset: str, model: str) -> dict[str, object]:
        return {"features": paths.MODEL_FEATURES.path(dataset=dataset, model=model),
                "sessions": paths.SESSIONS.path(dataset=dataset),
                "cells": paths.CELLS.path(dataset=dataset),
                "ceilings": paths.CEILINGS.path(dataset=dataset)}

    def vision_ceiling_inputs(self, dataset: str) -> dict[str, object]:
        return {"sessions": paths.SESSIONS.path(dataset=dataset),
                "cells": paths.CELLS.path(dataset=dataset)}

    def vision_summary_inputs(self, dataset: str) -> dict[str, object]:
        return {
            "scores": [paths.BRAINSCORES.path(dataset=dataset, model=m)
                       for m in self.vision_scored],
            "rois": [paths.ROISCORES.path(dataset=dataset, model=m) for m in self.vision_scored],
            "ceilings": paths.CEILINGS.path(dataset=dataset),
            "cells": paths.CELLS.path(dataset=dataset),
        }

    def shape_bias_inputs(self, model: str) -> dict[str, object]:
        return {"model": self.checkpoint(model), "images": paths.CUE_CONFLICT}

    def shape_bias_files(self) -> list[str]:
        return [paths.SHAPE_BIAS.path(model=m) for m in self.vision_models]

    def vision_seeds(self) -> dict[str, tuple[str, int]]:
        """Scored model -> (the model it is a seed of, its seed): ``seed_of`` entries pooled
        with their model; every other model (and baseline, seed 0) its own."""
        out = {}
        for m in self.vision_scored:
            spec = self.models.get(m)
            out[m] = (spec.seed_of or m, spec.seed) if spec else (m, 0)
        return out

    def vision_pathways(self) -> dict[str, str]:
        """Scored model -> its family ("" for a baseline): which layers belong to pathways."""
        return {m: self.models[m].family if m in self.models else ""
                for m in self.vision_scored}
