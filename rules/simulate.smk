# The embedded default: generated datasets with the real layouts, published as local DataLad
# datasets at their configured `source`, from where `acquire` clones them like real ones.


rule simulate_listening:
    output:
        record=P.LISTENING_SOURCE,
    params:
        settings=settings("dataset"),
        dataset=listening_dataset,
        seed=PLAN.seed,
    log:
        "logs/simulate/{dataset}.listening.log",
    benchmark:
        "benchmarks/simulate/{dataset}.listening.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/simulate_listening.py"


rule simulate_corpus:
    output:
        record=P.CORPUS_SOURCE,
    params:
        settings=settings("corpus"),
        corpus=corpus,
        seed=PLAN.seed,
    wildcard_constraints:
        corpus=PLAN.modality_wildcard("corpora"),
    log:
        "logs/simulate/{corpus}.corpus.log",
    benchmark:
        "benchmarks/simulate/{corpus}.corpus.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/simulate_corpus.py"
