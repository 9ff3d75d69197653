# Brain scores: per model, every listener's cross-validated ridge from every layer to every
# vertex (one job: the listeners share the model's features); per dataset, the noise
# ceilings and the tidy summary.


rule brain_scores:
    input:
        unpack(score_inputs),
    output:
        scores=P.BRAINSCORES,
        rois=P.ROISCORES,
    params:
        settings=settings("scores"),
        sources=result_sources,
        spec=PLAN.scores,
        runs=run_files,
        features=feature_files,
        seed=PLAN.seed,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/scores/{dataset}/{model}.log",
    benchmark:
        "benchmarks/scores/{dataset}/{model}.tsv"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=240,
        # the ridge solver runs on a GPU when one is present
        gpu=1,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/brain_scores.py"


rule noise_ceilings:
    input:
        unpack(ceiling_inputs),
    output:
        P.CEILINGS,
    params:
        settings=settings("scores", "dataset"),
        sources=data_sources,
        spec=PLAN.scores,
        runs=run_files,
        dataset=listening_dataset,
        root=listening_raw,
        seed=PLAN.seed,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
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
        P.SUMMARY,
    params:
        settings=settings("scores"),
        sources=result_sources,
        spec=PLAN.scores,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/scores/{dataset}/summary.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/summary.py"


# Every result's provenance sidecar (config, code commit, dataset commits, checkpoint hashes)
# gathered in one file.
rule provenance:
    input:
        PLAN.result_files(),
    output:
        P.PROVENANCE,
    log:
        "logs/scores/provenance.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/provenance.py"
