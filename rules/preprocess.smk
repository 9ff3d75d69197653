# Raw data to validated Parquet: stimuli, responses, vertex tables, training-corpus shards.


rule stimulus_parquet:
    input:
        manifest=P.MANIFEST.fix(name="{dataset}"),
    output:
        P.STIMULUS,
    params:
        settings=settings("dataset"),
        dataset=listening_dataset,
        root=listening_raw,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/preprocess/{dataset}/stimulus_{story}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/stimulus_parquet.py"


rule vertices_parquet:
    input:
        unpack(vertices_inputs),
    output:
        P.VERTICES,
    params:
        settings=settings("dataset"),
        dataset=listening_dataset,
        root=listening_raw,
        atlas=listening_atlas,
        atlas_root=atlas_raw,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/preprocess/{dataset}/vertices.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vertices_parquet.py"


rule responses_parquet:
    input:
        manifest=P.MANIFEST.fix(name="{dataset}"),
        vertices=P.VERTICES,
    output:
        directory(P.LISTENER),
    params:
        settings=settings("dataset"),
        dataset=listening_dataset,
        root=listening_raw,
        files=listener_files,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/preprocess/{dataset}/{subject}.log",
    resources:
        mem_mb=2000,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/responses_parquet.py"


rule groundtruth_parquet:
    input:
        manifest=P.MANIFEST.fix(name="{dataset}"),
    output:
        P.GROUNDTRUTH,
    params:
        settings=settings("dataset"),
        dataset=listening_dataset,
        root=listening_raw,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/preprocess/{dataset}/groundtruth.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/groundtruth_parquet.py"


rule corpus_parquet:
    input:
        manifest=P.MANIFEST.fix(name="{corpus}"),
    output:
        directory(P.SHARDS),
    params:
        settings=settings("corpus"),
        corpus=corpus,
        root=corpus_raw,
    wildcard_constraints:
        corpus=PLAN.modality_wildcard("corpora"),
    log:
        "logs/preprocess/{corpus}/{collection}.log",
    benchmark:
        "benchmarks/preprocess/{corpus}_{collection}.tsv"
    threads: 1
    resources:
        mem_mb=3000,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/corpus_parquet.py"
