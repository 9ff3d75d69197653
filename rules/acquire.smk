# DataLad acquisition: clone the configured source, get only the selected files.


rule acquire:
    input:
        simulated_source,
    output:
        clone=directory(P.RAW),
        manifest=P.MANIFEST,
    params:
        source=dataset_source,
        paths=dataset_paths,
        # Keyed to the source's version: a changed param reruns acquisition.
        version=dataset_version,
        columns=participant_columns,
    log:
        "logs/acquire/{name}.log",
    benchmark:
        "benchmarks/acquire/{name}.tsv"
    resources:
        mem_mb=2000,
        runtime=120,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/acquire.py"
