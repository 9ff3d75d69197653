# Models whose layers are scored. `training: null` is the untrained control: its checkpoint
# is the seeded random initialisation, so every model reaches the features stage the same way.
# A killed training job re-run resumes from its training-state checkpoint (P.TRAINING_STATE).
# heldout.json: the learning checks on chapters training never saw (each objective's module).
# A language model (family causal_lm) trains on the corpus's transcripts; its untrained
# control is `steps: 0`, the same vocabulary and seeded initialisation.


rule train_model:
    input:
        unpack(training_inputs),
    output:
        model=P.MODEL,
        log=P.TRAINING_LOG,
        heldout=P.HELDOUT,
    params:
        settings=settings("model"),
        spec=model_spec,
        state=P.TRAINING_STATE,
    # an entry that reads another's checkpoint (`of`) has none of its own to train
    wildcard_constraints:
        model=PLAN.checkpoint_wildcard(),
    log:
        "logs/train/{model}.log",
    benchmark:
        "benchmarks/train/{model}.tsv"
    # One thread each: on 2 cores two trainings side by side train more audio per second
    # than one job on both cores (README), and the weights do not depend on the machine's
    # core count. More: --set-threads train_model=N.
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=model_gpus,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/train_model.py"
