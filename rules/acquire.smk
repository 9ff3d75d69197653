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
