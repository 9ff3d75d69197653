# The layer-wise phone probe: how phonetic is each layer, on speech no model trained on?
# Stories of `probe.dataset` (listening stimuli, with their phone alignments).


rule phone_probe:
    input:
        unpack(probe_inputs),
    output:
        P.PROBE,
    params:
        settings=settings("probe", "model"),
        sources=result_sources,
        spec=PLAN.probe,
    log:
        "logs/probes/{dataset}/{model}.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
        gpu=1,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/phone_probe.py"


rule phone_probe_figure:
    input:
        probe_files,
    output:
        report(
            P.FIGURE.fix(figure="phone_probe"),
            caption="../report/phone_probe.rst",
            category="Training",
            labels={"dataset": "{dataset}", "figure": "phone probe"},
        ),
    params:
        sources=result_sources,
    log:
        "logs/figures/{dataset}_phone_probe.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/phone_probe_figure.py"


# Per model: the most phonetic layer, and whether it is deeper than the first and beats the
# same layer of its untrained control (the roster's `control`), with fold counts.
rule phone_probe_summary:
    input:
        probe_files,
    output:
        P.PROBE_SUMMARY,
    params:
        sources=result_sources,
        roster=PLAN.roster,
    log:
        "logs/probes/{dataset}/summary.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/phone_probe_summary.py"
