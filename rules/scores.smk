# Brain scores: per subject and model, cross-validated ridge from every layer to every vertex;
# per dataset, the noise ceilings and the tidy summary.


rule brain_scores:
    input:
        unpack(score_inputs),
    output:
        scores="results/brainscores/{dataset}/{model}/{subject}.parquet",
        rois="results/brainscores/{dataset}/{model}/{subject}_rois.parquet",
    params:
        spec=config["scores"],
        seed=config["seed"],
    log:
        "logs/scores/{dataset}/{model}/{subject}.log",
    benchmark:
        "benchmarks/scores/{dataset}/{model}/{subject}.tsv"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/brain_scores.py"


rule noise_ceilings:
    input:
        unpack(ceiling_inputs),
    output:
        "results/ceilings/{dataset}.parquet",
    params:
        spec=config["scores"],
        seed=config["seed"],
    log:
        "logs/scores/{dataset}/ceilings.log",
    resources:
        mem_mb=8000,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/noise_ceilings.py"


rule summary:
    input:
        unpack(summary_inputs),
    output:
        "results/summary/{dataset}.parquet",
    params:
        spec=config["scores"],
        layers=scored_layers,
    log:
        "logs/scores/{dataset}/summary.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/summary.py"
