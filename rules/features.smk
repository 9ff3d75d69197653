# Every layer of every model (and each baseline) for every story, on the volume grid: a job
# per model (the model loads once), a file per story.


rule features:
    input:
        unpack(feature_inputs),
    output:
        directory(P.MODEL_FEATURES),
    params:
        settings=settings("features", "dataset", "model"),
        spec=PLAN.features,
        model=feature_model,
        dataset=listening_dataset,
        files=feature_files,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/features/{dataset}/{model}.log",
    benchmark:
        "benchmarks/features/{dataset}/{model}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=feature_gpus,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/features.py"
