"""A viewing dataset's figures: RSA and ridge per layer and area, pathway specialisation."""

import pandas as pd

from brainlike.figures.vision import area_profiles, specialisation_figure
from brainlike.provenance import stamp
from brainlike.scores.vision_data import ROI_COLUMNS, read_parquet
from brainlike.scores.vision_summary import HEADLINE_COLUMNS, SPECIALISATION_COLUMNS
from brainlike.workflow import logged

with logged(snakemake.log[0]):  # noqa: F821
    summary = read_parquet(snakemake.input.summary, HEADLINE_COLUMNS)  # noqa: F821
    rois = pd.concat([read_parquet(p, ROI_COLUMNS) for p in snakemake.input.rois],  # noqa: F821
                     ignore_index=True)
    special = read_parquet(snakemake.input.specialisation, SPECIALISATION_COLUMNS)  # noqa: F821
    area_profiles(rois, summary, snakemake.output.profiles)  # noqa: F821
    specialisation_figure(special, snakemake.output.specialisation)  # noqa: F821
    stamp(snakemake.output, snakemake.params.sources)  # noqa: F821
