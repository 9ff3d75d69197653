# Every layer of every model (and each baseline) for every story, on the volume grid.


rule features:
    input:
        unpack(feature_inputs),
    output:
        P.FEATURES,
    params:
        spec=PLAN.features,
        dataset=listening_dataset,
    log:
        "logs/features/{dataset}/{model}/{task}.log",
    benchmark:
        "benchmarks/features/{dataset}/{model}/{task}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/features.py"
