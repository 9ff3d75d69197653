# Raw data to validated Parquet: stimuli, responses, vertex tables, training-corpus shards.


rule stimulus_parquet:
    input:
        manifest="data/raw/{dataset}.manifest.json",
    output:
        "data/parquet/{dataset}/stimuli/task-{task}.parquet",
    params:
        spec=listening_spec,
        root=raw_root,
    log:
        "logs/preprocess/{dataset}/stimulus_{task}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/stimulus_parquet.py"


rule vertices_parquet:
    input:
        manifest="data/raw/{dataset}.manifest.json",
    output:
        "data/parquet/{dataset}/vertices.parquet",
    params:
        spec=listening_spec,
        root=raw_root,
    log:
        "logs/preprocess/{dataset}/vertices.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vertices_parquet.py"


rule responses_parquet:
    input:
        manifest="data/raw/{dataset}.manifest.json",
        vertices="data/parquet/{dataset}/vertices.parquet",
    output:
        "data/parquet/{dataset}/responses/{subject}_task-{task}.parquet",
    params:
        spec=listening_spec,
        root=raw_root,
    log:
        "logs/preprocess/{dataset}/{subject}_task-{task}.log",
    resources:
        mem_mb=2000,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/responses_parquet.py"


rule groundtruth_parquet:
    input:
        manifest="data/raw/{dataset}.manifest.json",
    output:
        "data/parquet/{dataset}/groundtruth.parquet",
    params:
        spec=listening_spec,
        root=raw_root,
    log:
        "logs/preprocess/{dataset}/groundtruth.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/groundtruth_parquet.py"


rule corpus_parquet:
    input:
        manifest="data/raw/{corpus}.manifest.json",
    output:
        directory("data/corpora/{corpus}/{collection}"),
    params:
        spec=corpus_spec,
        root=raw_root,
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
