"""A viewing dataset's NWB sessions to Parquet: the movie (rule viewing_movie), the cells and
their responses (viewing_cells), or the simulated ground truth (viewing_groundtruth)."""

from pathlib import Path

from brainlike.preprocess.allen import to_parquet, write_groundtruth, write_movie
from brainlike.workflow import logged

with logged(snakemake.log[0]) as log:  # noqa: F821
    ds, root = snakemake.params.dataset, Path(snakemake.params.root)  # noqa: F821
    rule = snakemake.rule  # noqa: F821
    if rule == "viewing_movie":
        n = write_movie(root, ds.nwb(ds.sessions[0]), Path(snakemake.output[0]), ds.movie)  # noqa: F821
        log.info("%s: %d frames of %s", ds.name, n, ds.movie)
    elif rule == "viewing_groundtruth":
        write_groundtruth(root, Path(snakemake.output[0]))  # noqa: F821
    else:
        side = ds.side_table_path(str(root))
        to_parquet(root, [ds.nwb(s) for s in ds.sessions], side and Path(side), None,
                   Path(snakemake.output.cells), Path(snakemake.output.sessions),  # noqa: F821
                   None, movie=ds.movie)
