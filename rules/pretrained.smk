# Published checkpoints (family: pretrained): a hub model is downloaded into
# data/pretrained/<model> (needs internet), a local directory or fairseq .pt is read in place;
# either is imported into our checkpoint format at models/<model>/model.pt, so features,
# scores and probes treat it as any other model. Its training log is empty and heldout.json
# records where it came from.

# Both rules can write models/<model>/model.pt; the import's wildcard admits only the
# pretrained models, which train_model must not build.
ruleorder: import_pretrained > train_model


rule fetch_pretrained:
    output:
        directory(P.PRETRAINED),
    params:
        settings=settings("model"),
        spec=model_spec,
    wildcard_constraints:
        model=PLAN.pretrained_wildcard(hub_only=True),
    log:
        "logs/pretrained/{model}.fetch.log",
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/fetch_pretrained.py"


rule import_pretrained:
    input:
        unpack(pretrained_inputs),
    output:
        model=P.MODEL,
        log=P.TRAINING_LOG,
        heldout=P.HELDOUT,
    params:
        settings=settings("model"),
        spec=model_spec,
    wildcard_constraints:
        model=PLAN.pretrained_wildcard(),
    log:
        "logs/pretrained/{model}.import.log",
    benchmark:
        "benchmarks/pretrained/{model}.tsv"
    threads: 1
    resources:
        # the Hugging Face model and torchaudio's copy are both in memory (XLSR: 315 M
        # parameters each)
        mem_mb=8000,
        runtime=30,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/import_pretrained.py"
